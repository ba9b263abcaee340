// A stock Hocuspocus server for the comparison in run.py: no extensions, no
// persistence, default settings. Prints "listening <port>" once ready.
import { Server } from '@hocuspocus/server'

const port = Number(process.argv[2] || 0)
const server = new Server({ port, address: '127.0.0.1', quiet: true, stopOnSignals: true })
await server.listen()
console.log(`listening ${server.address.port}`)
