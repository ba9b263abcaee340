// Builds one client: src/main.js -> dist/app.js + dist/app.css, and
// src/index.html -> dist/index.html with cache-busting query strings.
// Each client passes its own esbuild, so the shared code is always bundled
// against that client's node_modules and nothing else.

import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

// Packages that must appear exactly once in a bundle: two copies of yjs
// break instanceof checks and split the document model.
const SINGLETONS = ['yjs', 'y-protocols', 'lib0']
// What a room's laptop downloads once (then cached by version). Raised from
// 150 KiB when the between-meetings screens came in (written opinions, tasks,
// notifications, replay, signing): 150.2 KiB measured. Loading those screens
// only when opened would bring the room's part back under 150.
const BUDGET_GZIP = 165 * 1024

/**
 * Bare imports from outside node_modules (the client's src and ../shared)
 * resolve from the client's own folder, whatever node_modules sit above it.
 */
function ownNodeModules(root) {
  return {
    name: 'own-node-modules',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.own || args.importer.includes(`${path.sep}node_modules${path.sep}`)) {
          return undefined
        }
        return build.resolve(args.path, {
          kind: args.kind,
          resolveDir: root,
          pluginData: { own: true },
        })
      })
    },
  }
}

function checkSingletons(metafile, root) {
  const own = path.join(root, 'node_modules')
  for (const name of SINGLETONS) {
    const dirs = new Set()
    for (const input of Object.keys(metafile.inputs)) {
      const abs = path.resolve(root, input)
      const marker = `${path.sep}node_modules${path.sep}${name}${path.sep}`
      const at = abs.lastIndexOf(marker)
      if (at >= 0) dirs.add(abs.slice(0, at + marker.length - 1))
    }
    for (const dir of dirs) {
      if (path.dirname(dir) !== own) throw new Error(`${name} bundled from ${dir}, not from ${own}`)
    }
    if (dirs.size > 1) throw new Error(`${name} bundled ${dirs.size} times: ${[...dirs].join(', ')}`)
  }
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`

export async function buildClient(esbuild, { root, watch = false }) {
  const dist = path.join(root, 'dist')
  const options = {
    absWorkingDir: root,
    entryPoints: { app: path.join(root, 'src', 'main.js') },
    outdir: dist,
    bundle: true,
    format: 'iife',
    target: ['es2020', 'chrome87', 'firefox78', 'safari15'],
    minify: !watch,
    sourcemap: watch ? 'inline' : false,
    metafile: true,
    nodePaths: [path.join(root, 'node_modules')],
    plugins: [ownNodeModules(root)],
    logLevel: 'warning',
  }
  await rm(dist, { recursive: true, force: true })
  await mkdir(dist, { recursive: true })

  if (watch) {
    await writeHtml(root, dist, 'dev')
    const context = await esbuild.context(options)
    await context.watch()
    console.log(`watching ${path.relative(process.cwd(), root) || '.'}`)
    return
  }

  const result = await esbuild.build(options)
  checkSingletons(result.metafile, root)
  const js = await readFile(path.join(dist, 'app.js'))
  const css = await readFile(path.join(dist, 'app.css'))
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 12)
  const html = await writeHtml(root, dist, version)

  let total = 0
  for (const [name, bytes] of [['app.js', js], ['app.css', css], ['index.html', html]]) {
    const gz = gzipSync(bytes, { level: 9 }).length
    total += gz
    console.log(`  dist/${name.padEnd(10)} ${kib(bytes.length).padStart(10)}  gzip ${kib(gz).padStart(9)}`)
  }
  console.log(`  total gzip ${kib(total)} (budget ${kib(BUDGET_GZIP)})`)
  if (total > BUDGET_GZIP) throw new Error('bundle over budget')
}

async function writeHtml(root, dist, version) {
  const source = await readFile(path.join(root, 'src', 'index.html'), 'utf8')
  const html = Buffer.from(source.replaceAll(/\b(app\.(?:js|css))\b/g, `$1?v=${version}`))
  await writeFile(path.join(dist, 'index.html'), html)
  return html
}
