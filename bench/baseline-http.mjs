// The baseline for start-up: a bare node:http server that answers /healthz, started and probed
// exactly as the vault's server is. Plain JavaScript: nothing but Node itself to load.
import { createServer } from "node:http";

createServer((_request, response) => response.end("ok")).listen(Number(process.env.PORT));
