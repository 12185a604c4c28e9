/** A line typed into the peer shell, understood. */
export type ShellCommand =
  | { name: 'register' }
  | { name: 'advertise' }
  | { name: 'send'; text: string }
  | { name: 'status' }
  | { name: 'neighbours' }
  | { name: 'help' }
  | { name: 'quit' }
  | { name: 'nothing' }
  | { name: 'invalid'; error: string };

const simple: Record<string, ShellCommand['name']> = {
  register: 'register',
  advertise: 'advertise',
  status: 'status',
  neighbours: 'neighbours',
  neighbors: 'neighbours',
  help: 'help',
  '?': 'help',
  quit: 'quit',
  exit: 'quit',
};

/**
 * Parses one shell line. Command names are case-insensitive (`Register`, `SENDMESSAGE`…).
 * `SendMessage` keeps everything after the first space as the text, as the original interface
 * did; a text of nothing or only spaces is refused (the original sent an empty Message).
 */
export function parseCommand(line: string): ShellCommand {
  const trimmedStart = line.replace(/^\s+/, '').replace(/[\r\n]+$/, '');
  if (trimmedStart.trim() === '') return { name: 'nothing' };
  const space = trimmedStart.indexOf(' ');
  const word = (space < 0 ? trimmedStart : trimmedStart.slice(0, space)).toLowerCase();
  const rest = space < 0 ? undefined : trimmedStart.slice(space + 1);
  if (word === 'sendmessage' || word === 'send') {
    if (rest === undefined || rest.trim() === '')
      return { name: 'invalid', error: 'SendMessage needs a text: SendMessage <text>' };
    return { name: 'send', text: rest };
  }
  const name = simple[word];
  if (name === undefined) {
    return {
      name: 'invalid',
      error: `unknown command "${trimmedStart.split(' ')[0]}"; type help for the list`,
    };
  }
  if (rest !== undefined && rest.trim() !== '') {
    return { name: 'invalid', error: `${word} takes no argument (got "${rest.trim()}")` };
  }
  return { name } as ShellCommand;
}

export const shellHelp = `Commands (case-insensitive):
  Register              register with the root
  Advertise             ask the root for a parent and join it
  SendMessage <text>    broadcast a message to the whole tree
  status                address, registration, parent, children, reunion state
  neighbours            the parent and children
  help                  this list
  quit                  leave (end of input and Ctrl-C leave too)`;
