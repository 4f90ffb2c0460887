import { z } from 'zod';
import { defineRequests, noInput } from './define';

const hostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'host names are letters, digits, ".", "_" and "-" (up to 64)');
const fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint looks like SHA256: followed by 43 base64 characters');
/** Secrets come in with a request and stay in the engine's memory; no output ever carries them. */
const secret = z.string().max(4096);

/** A host key as shown to people (OpenSSH style) with Lifeboat's verdict on it. */
export const hostKeyInfoSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  /** ED25519, RSA, ECDSA… as `ssh-keygen -lf` prints it. */
  label: z.string(),
  bits: z.number().int(),
  /** `SHA256:…` exactly as `ssh-keygen -lf` prints it. */
  fingerprint: z.string(),
  status: z.enum(['known', 'unknown', 'changed', 'revoked']),
  accepted: z.boolean(),
  /** `file:line` of the entry that matched or contradicted it. */
  source: z.string().optional(),
});

/** What Lifeboat learned about a host the first time it connected (remembered, refreshable). */
export const probeSchema = z.object({
  at: z.string(),
  user: z.string(),
  uid: z.number().int().optional(),
  root: z.boolean(),
  /** Passwordless sudo (`sudo -n`) works. */
  sudo: z.boolean(),
  /** The user is in the `docker` group (root-equivalent on that host). */
  dockerGroup: z.boolean().optional(),
  /** How the Docker API is reached; `none` means discovery cannot run. */
  dockerAccess: z.enum(['stream-local', 'dial-stdio', 'sudo-dial-stdio', 'tcp', 'none']),
  dockerVersion: z.string().optional(),
  /** How host paths (volumes, bind mounts) can be read: directly as root, through sudo, or not. */
  fileAccess: z.enum(['root', 'sudo', 'none']),
  tools: z.array(z.string()),
  missing: z.array(z.string()),
  /** Plain sentences about what is missing and what that means. */
  notes: z.array(z.string()),
});

/** A host as stored in `<home>/hosts.json` and shown in lists (no secrets). */
export const hostSummarySchema = z.object({
  name: z.string(),
  url: z.string(),
  kind: z.enum(['ssh', 'docker-tcp']),
  identityFile: z.string().optional(),
  jumps: z.array(z.string()),
  tlsDir: z.string().optional(),
  addedAt: z.string(),
  source: z.enum(['cli', 'app', 'ssh-config']),
  probe: probeSchema.optional(),
  warnings: z.array(z.string()),
});

export type HostKeyInfo = z.infer<typeof hostKeyInfoSchema>;
export type Probe = z.infer<typeof probeSchema>;
export type HostSummary = z.infer<typeof hostSummarySchema>;

const connectFields = {
  identityFile: z.string().max(4096).optional(),
  jumps: z.array(z.string().max(512)).max(8).optional().default([]),
  tlsDir: z.string().max(4096).optional(),
  acceptNewHostKey: z.boolean().optional().default(false),
  fingerprints: z.array(fingerprint).max(16).optional().default([]),
  password: secret.optional(),
  passphrase: secret.optional(),
};

/** Hosts: add (connect, verify keys, probe), list, remove, scan keys, import ~/.ssh/config. */
export const hostsRequests = defineRequests({
  hostAdd: {
    summary: 'Add a host: verify its key, log in, probe what works, remember it',
    input: z.object({ name: hostName, url: z.string().max(512), ...connectFields, source: z.enum(['cli', 'app']).optional().default('cli') }).strict(),
    output: z.object({ host: hostSummarySchema, hostKeys: z.array(hostKeyInfoSchema), warnings: z.array(z.string()) }),
  },
  hostKeyScan: {
    summary: 'Show the host keys on the way to a URL (jump hosts first) without trusting them',
    input: z.object({ url: z.string().max(512), ...connectFields }).strict(),
    output: z.object({ hops: z.array(hostKeyInfoSchema) }),
  },
  hostList: {
    summary: 'List the hosts Lifeboat knows',
    input: noInput,
    output: z.object({ hosts: z.array(hostSummarySchema) }),
  },
  hostRemove: {
    summary: 'Forget a host and the keys Lifeboat trusted for it',
    input: z.object({ name: hostName }).strict(),
    output: z.object({ name: z.string(), forgottenKeys: z.number().int() }),
  },
  hostImportSshConfig: {
    summary: 'Import hosts from an OpenSSH client config (default ~/.ssh/config)',
    input: z.object({ file: z.string().max(4096).optional() }).strict().optional().default({}),
    output: z.object({
      imported: z.array(hostSummarySchema),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    }),
  },
});
