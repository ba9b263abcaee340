// Lets `node --test`, run from a client folder, import the shared modules:
// their bare imports (yjs, lib0 ...) resolve from that client's node_modules,
// as they do when esbuild bundles them.
import { register } from 'node:module'
import { pathToFileURL } from 'node:url'

register('./resolve-loader.mjs', import.meta.url, {
  data: { base: pathToFileURL(`${process.cwd()}/package.json`).href },
})
