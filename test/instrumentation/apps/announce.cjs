// A preload an app may have in NODE_OPTIONS besides the instrumentation: it says once on stderr that it ran.
process.stderr.write(`announce: preloaded\n`);
