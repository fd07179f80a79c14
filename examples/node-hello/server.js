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

// The app's name on the platform (so two pushes of this folder, e.g. blue and green, tell
// themselves apart); "node-hello" when run outside it.
function appName() {
  try {
    return JSON.parse(process.env.VCAP_APPLICATION || '{}').application_name || 'node-hello';
  } catch (e) {
    return 'node-hello';
  }
}

const port = parseInt(process.env.PORT || '8080', 10);
const server = http.createServer((req, res) => {
  const body = `hello from ${appName()} instance ${instanceIndex()}\n`;
  res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
});
server.listen(port, '0.0.0.0', () => {
  console.log(`node-hello listening on ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
