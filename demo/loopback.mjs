// Preloaded into each Agents Playground (`node --import`): it listens on every interface when
// no host is given, and the demo keeps everything on loopback.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [port, next] = args;
  if (typeof port === 'number' && (args.length === 1 || typeof next === 'function')) {
    return listen.call(this, port, '127.0.0.1', ...args.slice(1));
  }
  return listen.apply(this, args);
};
