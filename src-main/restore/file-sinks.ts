import { bindSink } from './bind-sink';
import { type RestoreSink, restoreSinks } from './restore-sink';
import { secretsSink } from './secrets-sink';
import { drillVolume } from './volume-drill';
import { volumeSink } from './volume-sink';

/** The registered file-kind sinks: volumes (with drills), bind mounts and secrets. */
export const fileSinks: RestoreSink[] = [{ ...volumeSink, defaultMode: 'new-volume', drill: drillVolume }, bindSink, secretsSink];

for (const sink of fileSinks) if (!restoreSinks.includes(sink)) restoreSinks.push(sink);
