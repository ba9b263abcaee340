import * as esbuild from 'esbuild'
import { fileURLToPath } from 'node:url'
import { buildClient } from '../shared/build-client.mjs'

const root = fileURLToPath(new URL('.', import.meta.url))
try {
  await buildClient(esbuild, { root, watch: process.argv.includes('--watch') })
} catch (err) {
  console.error(err.message)
  process.exit(1)
}
