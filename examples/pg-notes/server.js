// pg-notes: a small app that keeps notes in PostgreSQL, for the service marketplace demo.
//
//   GET  /        which database the app is bound to (service, database name, host; never the password)
//   GET  /notes   every note as JSON
//   POST /notes   the request body (text) becomes a note; answers 201 with the new row
//   GET  /health  200 while the process runs (bound or not)
//
// The database comes from VCAP_SERVICES: the binding whose label is `postgresql` (our
// postgres-broker), else any binding whose credentials carry a postgres:// uri (a user-provided
// service, say); else from DATABASE_URL. Without one, / and /notes answer 503 and say so.
const http = require('http');
const { Pool } = require('pg');

const MAX_BODY = 64 * 1024;

function isPostgresUri(uri) {
  return typeof uri === 'string' && /^postgres(ql)?:\/\//.test(uri);
}

// -> {uri, source, service, label, plan} or null
function findDatabase(env) {
  let services = {};
  if (env.VCAP_SERVICES) {
    try {
      services = JSON.parse(env.VCAP_SERVICES);
    } catch (e) {
      console.error(`VCAP_SERVICES is not JSON (${e.message}); ignoring it`);
    }
  }
  const entries = [];
  for (const [label, list] of Object.entries(services)) {
    for (const entry of Array.isArray(list) ? list : []) {
      const uri = entry && entry.credentials && entry.credentials.uri;
      if (isPostgresUri(uri)) entries.push({ ...entry, label });
    }
  }
  const pick = entries.find((e) => e.label === 'postgresql') || entries[0];
  if (pick) {
    return { uri: pick.credentials.uri, source: 'VCAP_SERVICES', service: pick.name,
             label: pick.label, plan: pick.plan || null };
  }
  if (isPostgresUri(env.DATABASE_URL)) {
    return { uri: env.DATABASE_URL, source: 'DATABASE_URL', service: null, label: null, plan: null };
  }
  return null;
}

// What / shows: everything about the connection except the user's password.
function describe(db) {
  const u = new URL(db.uri);
  return {
    source: db.source, service: db.service, label: db.label, plan: db.plan,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username),
  };
}

const db = findDatabase(process.env);
const pool = db ? new Pool({ connectionString: db.uri, max: 4, connectionTimeoutMillis: 5000 }) : null;
if (pool) pool.on('error', (e) => console.error(`idle database connection failed: ${e.message}`));

let tableReady = null; // a promise, dropped when it fails so the next request tries again
function ensureTable() {
  if (!tableReady) {
    tableReady = pool.query(`CREATE TABLE IF NOT EXISTS notes (
        id         serial PRIMARY KEY,
        body       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())`)
      .catch((e) => { tableReady = null; throw e; });
  }
  return tableReady;
}

function send(res, status, value) {
  const body = JSON.stringify(value, null, 1) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json',
                          'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(Object.assign(new Error('body too large'), { status: 413 })); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const NOT_BOUND = {
  error: 'no database bound',
  description: 'bind a PostgreSQL service instance (foundry bind-service pg-notes SERVICE; ' +
               'foundry restage pg-notes) or set DATABASE_URL',
};

async function handle(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/health') return send(res, 200, { status: 'ok', bound: !!db });
  if (path !== '/' && path !== '/notes') return send(res, 404, { error: 'not found' });
  if (!db) return send(res, 503, NOT_BOUND);

  if (path === '/') {
    if (req.method !== 'GET') return send(res, 405, { error: 'use GET' });
    return send(res, 200, { app: 'pg-notes', bound_to: describe(db) });
  }
  if (req.method === 'GET') {
    await ensureTable();
    const { rows } = await pool.query('SELECT id, body, created_at FROM notes ORDER BY id');
    return send(res, 200, rows);
  }
  if (req.method === 'POST') {
    const text = (await readBody(req)).trim();
    if (!text) return send(res, 400, { error: 'empty note: send the text as the request body' });
    await ensureTable();
    const { rows } = await pool.query(
      'INSERT INTO notes (body) VALUES ($1) RETURNING id, body, created_at', [text]);
    return send(res, 201, rows[0]);
  }
  return send(res, 405, { error: 'use GET or POST' });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    // pg's messages name the database object, never the password.
    console.error(`${req.method} ${req.url}: ${e.message}`);
    if (!res.headersSent) send(res, e.status || 500, { error: e.message });
  });
});

const port = parseInt(process.env.PORT || '8080', 10);
server.listen(port, '0.0.0.0', () => {
  const where = db ? describe(db) : null;
  console.log(where
    ? `pg-notes listening on ${port}, database ${where.database} on ${where.host}:${where.port} (from ${where.source})`
    : `pg-notes listening on ${port}, no database bound (/ and /notes answer 503)`);
});
process.on('SIGTERM', () => {
  setTimeout(() => process.exit(0), 5000).unref(); // open connections get 5 s
  server.close(() => (pool ? pool.end() : Promise.resolve()).then(() => process.exit(0)));
});
