export { firstReply, SpoofingSocket } from './spoofing-socket.js';
export { type Emitter, until } from './until.js';
