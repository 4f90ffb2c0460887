/** The parts of `docker inspect <container>` that discovery reads (Docker Engine API ≥ 1.41). */
export interface ContainerInspect {
  readonly Id: string;
  readonly Name: string;
  readonly State?: { readonly Status?: string; readonly Running?: boolean; readonly Pid?: number };
  readonly Config?: {
    readonly Image?: string;
    readonly Env?: readonly string[] | null;
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Cmd?: readonly string[] | null;
    readonly Entrypoint?: readonly string[] | string | null;
  };
  readonly Path?: string;
  readonly Args?: readonly string[];
  readonly Mounts?: readonly MountInspect[] | null;
}

/** One entry of a container's `Mounts`. */
export interface MountInspect {
  readonly Type: string;
  readonly Name?: string;
  readonly Source: string;
  readonly Destination: string;
  readonly RW?: boolean;
}

/** `docker volume inspect <volume>`. */
export interface VolumeInspect {
  readonly Name: string;
  readonly Driver?: string;
  readonly Mountpoint: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** Process names from `docker top` (the CMD column), when the container runs. */
export type ProcessList = readonly string[];
