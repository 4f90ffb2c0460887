import { EventEmitter } from 'node:events';
import {
  type EventName,
  type EventPayload,
  type RequestName,
  type RequestOutput,
  events,
  isRequestName,
  requests,
} from '../api/contract';
import { LifeboatError } from '../api/errors';
import { JobRunner } from '../jobs/job-runner';
import { coreHandlers } from './core-handlers';
import { jobHandlers } from './job-handlers';
import { HostService } from '../hosts/host-service';
import { hostsHandlers } from './hosts-handlers';
import { discoveryHandlers } from './discovery-handlers';
import { type EngineStdio, vaultHandlers } from './vault-handlers';
import { restoreHandlers } from './restore-handlers';
import { treeHandlers } from './tree-handlers';
import { backupHandlers } from './backup-handlers';
import { SessionEnv, sessionHandlers } from './session-handlers';
import { JobJournal } from '../jobs/job-journal';
import { join } from 'node:path';
import type { CallContext, HandlerTable } from './handlers';
import { resolveHome } from './paths';

/** How the engine was started; the composition root needs nothing else. */
export interface EngineOptions {
  readonly door: 'cli' | 'bridge' | 'electron';
  /** State directory; defaults to `$LIFEBOAT_HOME` or the user's data directory. */
  readonly home?: string;
  /** The CLI's standard streams, for `backup-stdin` and `cat`; other doors have none. */
  readonly stdio?: EngineStdio;
}

/** Listener for every event the engine emits. */
export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/**
 * The engine: the single implementation behind every door. Doors call `call` with untrusted
 * input; the engine validates it against the contract, runs the handler and returns output
 * that also matches the contract.
 */
export class Engine {
  private readonly bus = new EventEmitter();
  private readonly handlers: HandlerTable;
  readonly home: string;
  /** Owns all long work; doors see it through jobList/jobCancel and job events. */
  readonly jobs: JobRunner;
  /** Known hosts, host keys and connections (hosts.json and known_hosts under home). */
  readonly hosts: HostService;
  /** Job states and log lines kept in the catalog (history for `lifeboat jobs` and the UI). */
  readonly journal: JobJournal;

  constructor(options: EngineOptions) {
    this.home = options.home ?? resolveHome();
    const session = new SessionEnv(process.env);
    const env = session.env;
    this.hosts = new HostService({ home: this.home });
    this.journal = new JobJournal(join(this.home, 'catalog.sqlite'));
    this.jobs = new JobRunner({
      state: (job) => {
        this.journal.state(job);
        this.emit('jobState', job);
      },
      progress: (progress) => this.emit('jobProgress', progress),
      log: (entry) => {
        this.journal.log(entry);
        this.emit('jobLog', entry);
      },
    });
    this.handlers = {
      ...coreHandlers({ door: options.door, home: this.home }),
      ...jobHandlers(this.jobs),
      ...hostsHandlers(this.hosts),
      ...discoveryHandlers(this.hosts),
      ...sessionHandlers(this.home, session),
      ...vaultHandlers({ home: this.home, env, ...(options.stdio ? { stdio: options.stdio } : {}) }),
      ...restoreHandlers({ home: this.home, env, hosts: this.hosts, jobs: this.jobs }),
      ...backupHandlers({ home: this.home, env, hosts: this.hosts, jobs: this.jobs, journal: this.journal }),
      ...treeHandlers({ home: this.home, env }),
    };
    this.bus.setMaxListeners(100);
  }

  /** Runs one request. Throws LifeboatError (or a ZodError for bad input). */
  async call<N extends RequestName>(
    method: N | string,
    rawInput: unknown,
    options: { signal?: AbortSignal } = {},
  ): Promise<RequestOutput<N>> {
    if (!isRequestName(method)) {
      throw new LifeboatError('bad-input', `unknown request "${String(method).slice(0, 80)}"`);
    }
    const spec = requests[method];
    const input = spec.input.parse(rawInput);
    const signal = options.signal ?? new AbortController().signal;
    if (signal.aborted) throw new LifeboatError('cancelled', `${method} was cancelled`);
    const ctx: CallContext = { signal, emit: (event, payload) => this.emit(event, payload) };
    const handler = this.handlers[method] as (input: unknown, ctx: CallContext) => Promise<unknown>;
    const output = await handler(input, ctx);
    return spec.output.parse(output) as RequestOutput<N>;
  }

  /** Publishes an event after checking it against the contract. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].parse(payload);
    this.bus.emit('event', event, checked);
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    const wrapped = (event: EventName, payload: unknown) => listener(event, payload as EventPayload<EventName>);
    this.bus.on('event', wrapped);
    return () => this.bus.off('event', wrapped);
  }

  /** Releases resources (connections, locks, databases) held by services. */
  async close(): Promise<void> {
    await this.jobs.shutdown();
    this.journal.close();
    this.bus.removeAllListeners();
  }
}

/** The composition root: builds the services and the engine that serves the contract. */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
