// Entry point that the VS Code extension host calls (extensionTestsPath), in Restricted Mode.
import { runSuite } from '../hostRunner';

export function run(): Promise<void> {
  return runSuite(__dirname);
}
