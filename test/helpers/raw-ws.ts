import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A minimal WebSocket client on a bare TCP socket, for tests that need a client that really stops
 * reading (the `ws` library resumes its socket by itself). It speaks just enough RFC 6455: the
 * upgrade, masked text frames out, and a scan of incoming frames for text payloads and the close code.
 */
export class RawWebSocket {
  private buffered = Buffer.alloc(0);
  private readonly texts: string[] = [];
  private closeCode: number | null = null;
  /** Whether the TCP connection ended (with or without a close frame first). */
  private ended = false;
  private readonly waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.parse();
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Opens a connection and completes the upgrade for `protocol`. */
  static async open(url: string, protocol: string): Promise<RawWebSocket> {
    const { hostname, port, pathname } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      [`GET ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${protocol}`, '', ''].join('\r\n'),
    );
    const head = await new Promise<Buffer>((resolve) => {
      let data = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const end = data.indexOf('\r\n\r\n');
        if (end >= 0) {
          socket.off('data', onData);
          if (data.length > end + 4) socket.unshift(data.subarray(end + 4));
          resolve(data.subarray(0, end));
        }
      };
      socket.on('data', onData);
    });
    if (!head.toString().startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.toString().split('\r\n')[0]}`);
    return new RawWebSocket(socket);
  }

  /** Sends a masked text frame. */
  send(text: string): void {
    this.sendFrame(0x1, Buffer.from(text));
  }

  /**
   * Sends several text frames in one TCP write, so the server reads them in one chunk and starts
   * handling each before any of them has finished (a burst no library client can produce on cue).
   */
  sendTogether(texts: readonly string[]): void {
    if (this.socket.destroyed) return;
    this.socket.write(Buffer.concat(texts.map((text) => this.frame(0x1, Buffer.from(text)))));
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    this.socket.write(this.frame(opcode, payload));
  }

  private frame(opcode: number, payload: Buffer): Buffer {
    const mask = randomBytes(4);
    const header =
      payload.length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 126]), Buffer.from([payload.length >> 8, payload.length & 0xff])]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    return Buffer.concat([header, mask, masked]);
  }

  /** Stops reading from the socket: the kernel's buffers fill and the server's writes back up. */
  stopReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Text frames received so far. */
  get messages(): readonly string[] {
    return this.texts;
  }

  /**
   * Resolves with the close code the server sent; rejects if the connection ended without one
   * (the server dropped it) or after `timeoutMs`.
   */
  closed(timeoutMs: number): Promise<number> {
    return this.until(() => {
      if (this.closeCode === null && this.ended) throw new Error(`the connection ended without a close frame after ${this.texts.length} messages`);
      return this.closeCode;
    }, timeoutMs);
  }

  /** Resolves with the first received message that satisfies `predicate`. */
  message(predicate: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
    return this.until(() => this.texts.find(predicate) ?? null, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until<T>(probe: () => T | null, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting on the raw WebSocket (${this.texts.length} messages so far)`)), timeoutMs);
      const check = () => {
        let value: T | null;
        try {
          value = probe();
        } catch (err) {
          clearTimeout(timer);
          reject(err as Error);
          return;
        }
        if (value !== null) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  private parse(): void {
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      if (opcode === 0x1) this.texts.push(payload.toString('utf8'));
      if (opcode === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      // A client that reads answers pings, as every WebSocket library does (keep-alive would drop it otherwise).
      if (opcode === 0x9) this.sendFrame(0xa, Buffer.from(payload));
      this.buffered = b.subarray(offset + length);
    }
  }
}
