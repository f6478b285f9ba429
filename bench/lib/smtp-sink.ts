import { AddressInfo, createServer, Server, Socket } from 'node:net';

/**
 * An SMTP server that accepts every message and discards it, answering at
 * once: the no-op mail relay the worker benchmark sends to. (The
 * smtp-server package waits 100 ms before its greeting to catch early
 * talkers, which would be most of what a benchmark measured.) Speaks just
 * what nodemailer uses: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with
 * PIPELINING.
 */
export class SmtpSink {
  messages = 0;
  /** DATA bytes received (the messages as sent, headers included). */
  bytes = 0;
  connections = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<string> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `smtp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private session(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let buffer = '';
    let inData = false;
    let received = 0;
    socket.write('220 bench-sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const replies: string[] = [];
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            received += Math.max(0, buffer.length - 4);
            buffer = buffer.slice(-4); // the terminator may straddle chunks
            break;
          }
          this.bytes += received + end;
          received = 0;
          buffer = buffer.slice(end + 5);
          inData = false;
          this.messages++;
          replies.push('250 2.0.0 discarded');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) break;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') replies.push('250-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8');
        else if (verb === 'DATA') {
          inData = true;
          // "\r\n.\r\n" right after "DATA\r\n" (an empty body) still ends the message.
          buffer = `\r\n${buffer}`;
          replies.push('354 go ahead');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else replies.push('250 OK');
      }
      if (replies.length) socket.write(`${replies.join('\r\n')}\r\n`);
    });
  }
}
