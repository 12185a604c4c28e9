// `node --import ./register.mjs …`: appends the URL of every module the program imports to the
// file named by P2P_MODULE_LOG (see hooks.mjs).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
