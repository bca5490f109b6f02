#!/usr/bin/env python3
"""tcp_proxy.py PORT TARGET_PORT PORT_FILE: forwards each connection made to 127.0.0.1:PORT
(0: any free port) to 127.0.0.1:TARGET_PORT, and writes the port it listens on to PORT_FILE
once listening. Killing it cuts every connection through it at once (both ends see them
close), which is how a test cuts a mount's connection to a master that keeps running;
started again on the same PORT, it lets the mount connect again.

SIGUSR1 holds what the clients of the connections open at that moment send (the proxy
keeps it; connections made later pass freely), SIGUSR2 lets it through: how a test makes
a mount's requests reach the master late, after the mount gave up on that connection."""
import asyncio
import os
import signal
import sys

# One event per connection: set while the client's bytes may pass.
flowing = set()


async def pipe(reader, writer, gate=None):
    try:
        while True:
            data = await reader.read(65536)
            if gate is not None:
                await gate.wait()
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main():
    port, target, port_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    loop = asyncio.get_running_loop()
    held = []

    def hold():
        for gate in flowing:
            gate.clear()
            held.append(gate)

    def release():
        for gate in held:
            gate.set()
        held.clear()

    loop.add_signal_handler(signal.SIGUSR1, hold)
    loop.add_signal_handler(signal.SIGUSR2, release)

    async def handle(reader, writer):
        try:
            target_reader, target_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        gate = asyncio.Event()
        gate.set()
        flowing.add(gate)
        try:
            await asyncio.gather(pipe(reader, target_writer, gate), pipe(target_reader, writer))
        finally:
            flowing.discard(gate)

    server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{server.sockets[0].getsockname()[1]}\n")
    os.rename(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main())
