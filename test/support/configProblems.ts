// The problems loadConfig reports for settings that must be refused: the tests assert their words.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config';

export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}
