// A tiny HTTP server for the platform: listens on $PORT and says which instance answered.
const http = require('http');

function instanceIndex() {
  if (process.env.CF_INSTANCE_INDEX) {
    return process.env.CF_INSTANCE_INDEX;
  }
  try {
    const app = JSON.parse(process.env.VCAP_APPLICATION || '{}');
    if (app.instance_index !== undefined) {
      return String(app.instance_index);
    }
  } catch (e) {
    // fall through
  }
  return 'unknown';
}

const port = parseInt(process.env.PORT || '8080', 10);
const server = http.createServer((req, res) => {
  const body = `hello from node-hello instance ${instanceIndex()}\n`;
  res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
});
server.listen(port, '0.0.0.0', () => {
  console.log(`node-hello listening on ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
