/**
 * Serves the embedded PGlite database over the PostgreSQL wire protocol, so that copy and
 * analysis in other processes read a sandbox's database like a real instance's.
 *
 * Why not `@electric-sql/pglite-socket`'s server as is: PGlite is one backend, and that
 * server interleaves connections message by message under PGlite's query mutex only. Under
 * load that lets one client's Bind land on another client's Parse, lets a remote statement
 * run inside the sandbox's own write transaction (PGlite's `transaction()` holds a different
 * mutex), and lets the sandbox write inside a remote `BEGIN READ ONLY`. Here every user of
 * the backend -- each remote connection and the in-process `Db` -- takes one FIFO lock: a
 * remote connection holds it for a whole protocol exchange (up to Sync or a simple Query)
 * and keeps it while its transaction is open, exactly like a session that owns the backend.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { PgliteDb, Queryable } from '../platform/db.js';
import type { Semaphore } from '../core/semaphore.js';

export interface WireOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Connections beyond this are refused with SQLSTATE 53300. @default 32 */
  maxConnections?: number;
  /**
   * A remote transaction that stays idle this long while it holds the backend is ended
   * (like PostgreSQL's idle_in_transaction_session_timeout), so one stuck client cannot
   * stall the sandbox for ever. @default 60000
   */
  idleInTransactionMs?: number;
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Message types after which the backend answers with ReadyForQuery (or flushes). */
const EXCHANGE_END = new Set(['Q', 'S', 'H', 'p']);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const ROLLBACK = simpleQuery('ROLLBACK');

/** The in-process side of the lock: every query and transaction of `db` waits its turn. */
export function lockDb(db: PgliteDb, lock: Semaphore): PgliteDb {
  return {
    kind: 'pglite',
    pglite: db.pglite,
    query: (sql, params) => lock.run(() => db.query(sql, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => lock.run(() => db.transaction(fn)),
    exec: (script) => lock.run(() => db.exec(script)),
    close: () => lock.run(() => db.close()),
  };
}

export async function serveWire(pglite: PGlite, lock: Semaphore, options: WireOptions): Promise<WireServer> {
  const maxConnections = options.maxConnections ?? 32;
  const idleMs = options.idleInTransactionMs ?? 60_000;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (sockets.size >= maxConnections) {
      socket.end(errorResponse('FATAL', '53300', `sorry, too many clients already (max ${maxConnections})`));
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    const session = new WireSession(pglite, lock, socket, idleMs);
    socket.on('close', () => {
      sockets.delete(socket);
      void session.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    host: options.host,
    port,
    connections: () => sockets.size,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** One client connection: frames its messages and runs each exchange under the lock. */
class WireSession {
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Buffer[] = [];
  #started = false;
  #release: (() => void) | undefined;
  #chain: Promise<void> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly pglite: PGlite,
    private readonly lock: Semaphore,
    private readonly socket: Socket,
    private readonly idleMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#chain = this.#chain
        .then(() => this.#drain())
        .catch(() => {
          socket.destroy();
        });
    });
    socket.on('error', () => socket.destroy());
  }

  /** The client went away: undo its open transaction and hand the backend on. */
  async end(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    await this.#chain.catch(() => undefined);
    if (!this.#release) return;
    try {
      await this.pglite.runExclusive(async () => {
        await this.pglite.execProtocolRaw(SYNC);
        if (this.pglite.isInTransaction()) await this.pglite.execProtocolRaw(ROLLBACK);
      });
    } finally {
      this.#releaseLock();
    }
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const message = this.#started ? this.#nextMessage() : this.#startupMessage();
      if (!message) return;
      if (message === 'handled') continue;
      this.#pending.push(message.bytes);
      if (message.exchangeEnd) await this.#runExchange(message.type);
    }
  }

  #startupMessage(): { bytes: Buffer; type: string; exchangeEnd: boolean } | 'handled' | undefined {
    if (this.#buffer.length < 8) return undefined;
    const length = this.#buffer.readInt32BE(0);
    if (this.#buffer.length < length) return undefined;
    const code = this.#buffer.readInt32BE(4);
    const bytes = this.#take(length);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
      return 'handled';
    }
    if (code === CANCEL_REQUEST || code !== PROTOCOL_3) {
      this.socket.destroy();
      return undefined;
    }
    this.#started = true;
    return { bytes, type: 'startup', exchangeEnd: true };
  }

  #nextMessage(): { bytes: Buffer; type: string; exchangeEnd: boolean } | undefined {
    if (this.#buffer.length < 5) return undefined;
    const length = this.#buffer.readInt32BE(1) + 1;
    if (this.#buffer.length < length) return undefined;
    const type = String.fromCharCode(this.#buffer[0] ?? 0);
    const bytes = this.#take(length);
    if (type === 'X') {
      this.socket.end();
      return undefined;
    }
    return { bytes, type, exchangeEnd: EXCHANGE_END.has(type) };
  }

  #take(length: number): Buffer {
    const bytes = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return bytes;
  }

  async #runExchange(lastType: string): Promise<void> {
    clearTimeout(this.#idleTimer);
    const batch = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#release ??= await this.lock.acquire();
    let inTransaction = false;
    await this.pglite.runExclusive(async () => {
      await this.pglite.execProtocolRawStream(new Uint8Array(batch), {
        onRawData: (chunk) => {
          if (!this.socket.destroyed) this.socket.write(Buffer.from(chunk));
        },
      });
      inTransaction = this.pglite.isInTransaction();
    });
    // A Flush leaves the extended exchange open: the backend stays ours until its Sync.
    if (lastType === 'H' || inTransaction) {
      this.#idleTimer = setTimeout(() => this.socket.destroy(), this.idleMs);
      return;
    }
    this.#releaseLock();
  }

  #releaseLock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

function errorResponse(severity: string, code: string, message: string): Buffer {
  const fields = Buffer.concat([
    field('S', severity),
    field('V', severity),
    field('C', code),
    field('M', message),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

function field(tag: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(tag), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

function simpleQuery(sql: string): Buffer {
  const text = Buffer.concat([Buffer.from(sql, 'utf8'), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(text.length + 4, 1);
  return Buffer.concat([header, text]);
}
