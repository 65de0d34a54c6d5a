// node peer.js serve tcp|udp PORT TAG [BIND] -> prints "listening", answers "TAG peer=ADDR" (on BIND, else every address)
// node peer.js request tcp|udp ADDR PORT  -> prints the answer, exit 1 on timeout/refusal
// node peer.js sink tcp PORT               -> prints "listening", counts what a client sends, answers the count
// node peer.js send tcp ADDR PORT BYTES    -> sends BYTES, prints "<bytes> <ms>" once the sink has counted them
const net = require("node:net");
const dgram = require("node:dgram");
const [mode, proto, a, b, c] = process.argv.slice(2);
const TIMEOUT_MS = 2000;
const TRANSFER_TIMEOUT_MS = 60_000;
if (mode === "sink") {
  net
    .createServer((s) => {
      s.on("error", () => {});
      let n = 0;
      s.on("data", (d) => (n += d.length));
      s.on("end", () => s.end(String(n)));
    })
    .listen(Number(a), "0.0.0.0", () => console.log("listening"));
  process.on("SIGTERM", () => process.exit(0));
} else if (mode === "send") {
  setTimeout(() => process.exit(1), TRANSFER_TIMEOUT_MS).unref();
  const t0 = Date.now();
  const s = net.connect({ host: a, port: Number(b) }, () => s.end(Buffer.alloc(Number(c), 120)));
  let out = "";
  s.on("data", (d) => (out += d));
  s.on("end", () => {
    process.stdout.write(`${out} ${Date.now() - t0}\n`);
    process.exit(out === String(c) ? 0 : 1);
  });
  s.on("error", (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
} else if (mode === "serve") {
  const port = Number(a);
  const tag = b;
  if (proto === "tcp") {
    net
      .createServer((s) => {
        // a client that resets (nslab test's probe closes at once) must not end the server
        s.on("error", () => {});
        s.end(`${tag} peer=${s.remoteAddress.replace(/^::ffff:/, "")}\n`);
      })
      .listen(port, c ?? "0.0.0.0", () => console.log("listening"));
  } else {
    const s = dgram.createSocket(c && c.includes(":") ? { type: "udp6", ipv6Only: false } : "udp4");
    s.on("message", (_m, r) => s.send(`${tag} peer=${r.address.replace(/^::ffff:/, "")}\n`, r.port, r.address));
    s.bind(port, c ?? "0.0.0.0", () => console.log("listening"));
  }
  process.on("SIGTERM", () => process.exit(0));
} else {
  const [addr, port] = [a, Number(b)];
  setTimeout(() => process.exit(1), TIMEOUT_MS).unref();
  if (proto === "tcp") {
    const c = net.connect({ host: addr, port });
    let out = "";
    c.on("data", (d) => (out += d));
    c.on("end", () => {
      process.stdout.write(out);
      process.exit(out ? 0 : 1);
    });
    c.on("error", () => process.exit(1));
  } else {
    const c = dgram.createSocket(addr.includes(":") ? "udp6" : "udp4");
    c.on("message", (m) => {
      process.stdout.write(m);
      process.exit(0);
    });
    c.send("ping", port, addr);
  }
}
