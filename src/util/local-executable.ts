/** The program to run for a spec command on this machine: `node` means the Node.js running hastack. */
export function localExecutable(command: string): string {
  return command === 'node' ? process.execPath : command;
}
