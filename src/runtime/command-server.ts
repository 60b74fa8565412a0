// The owner's end of the channel links: a unix socket in the data folder (mode 0600, so only the
// platform's user can send commands, which carry already-verified token subjects). One
// connection per channel process; frames run concurrently and are answered as they finish.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { executeFrame, type OwnerCommands, REPLY_KIND } from './commands.ts';
import { FrameReader, FrameWriter, FramingError } from './framing.ts';

/** Commands one channel may have in flight; a channel keeps its own bound below this. */
export const COMMANDS_IN_FLIGHT_PER_LINK_MAX = 20_000;

export interface CommandServer {
  close(): Promise<void>;
  /** Commands received, and the replies and the writes that carried them, over every link. */
  stats(): { links: number; commands: number; replies: number; replyBatches: number };
}

export async function startCommandServer(
  socketPath: string,
  commands: OwnerCommands,
  onError: (error: Error) => void,
): Promise<CommandServer> {
  const sockets = new Set<Socket>();
  const totals = { commands: 0 };
  const replies = { frames: 0, batches: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const writer = new FrameWriter(socket, replies);
    let inFlight = 0;
    let open = true;
    const reader = new FrameReader((frame) => {
      totals.commands += 1;
      inFlight += 1;
      if (inFlight > COMMANDS_IN_FLIGHT_PER_LINK_MAX) {
        socket.destroy(new FramingError('channel exceeded its in-flight bound'));
        return;
      }
      void executeFrame(commands, frame).then((reply) => {
        inFlight -= 1;
        // A bug while running a command: the channel answers 500, and the owner's log says why.
        if (reply.kind === REPLY_KIND.failed)
          onError(new Error(`command failed: ${String(reply.body)}`));
        if (open) writer.push(reply);
      });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        onError(error as Error);
        socket.destroy();
      }
    });
    socket.on('close', () => {
      open = false;
      writer.discard();
      sockets.delete(socket);
    });
    socket.on('error', () => {});
  });
  // A socket file left by an owner that was killed: this process holds the data lock, so no
  // other owner is listening on it.
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    stats: () => ({
      links: sockets.size,
      commands: totals.commands,
      replies: replies.frames,
      replyBatches: replies.batches,
    }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.end();
      });
      rmSync(socketPath, { force: true });
    },
  };
}
