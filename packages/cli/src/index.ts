export { CliError, type CliErrorCode, ExitCode } from './errors.js';
export { buildProgram, run } from './main.js';
export { frameToJson } from './packet-json.js';
