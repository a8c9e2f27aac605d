/** What a job's checkpoint means for a run, decided in the workflow for the command and the wizard alike; and when a source and a target are one instance. */
import { describe, expect, it } from 'vitest';
import { answerResume, decideResume, restartWarning, sameInstance, type JobCheckpointInfo } from '../src/workflows/copy.js';

const existing: JobCheckpointInfo = { runDir: '/r/run_20261201_100000', checkpoint: '/r/run_20261201_100000/checkpoint_20261201_100000.json', done: 3, created: 2, total: 4 };
const found = async (): Promise<JobCheckpointInfo | undefined> => existing;
const none = async (): Promise<JobCheckpointInfo | undefined> => undefined;

describe('decideResume', () => {
  it('--resume and --resume PATH run at once, without looking the checkpoint up', async () => {
    const never = async (): Promise<JobCheckpointInfo | undefined> => {
      throw new Error('looked up');
    };
    expect(await decideResume({ resume: true, interactive: false }, never)).toEqual({ kind: 'run', resume: true });
    expect(await decideResume({ resume: '/r/run_x', interactive: true }, never)).toEqual({ kind: 'run', resume: '/r/run_x' });
  });

  it('refuses --resume with --restart', async () => {
    await expect(decideResume({ resume: true, restart: true, interactive: true }, found)).rejects.toMatchObject({ code: 'USAGE', message: 'give --resume or --restart, not both' });
  });

  it('--restart: runs when there is nothing to discard or with --yes, asks once on a terminal, and refuses without one', async () => {
    expect(await decideResume({ restart: true, interactive: false }, none)).toEqual({ kind: 'run', restart: true });
    expect(await decideResume({ restart: true, yes: true, interactive: false }, found)).toEqual({ kind: 'run', restart: true, existing });
    expect(await decideResume({ restart: true, interactive: true }, found)).toEqual({ kind: 'confirm-restart', existing });
    await expect(decideResume({ restart: true, interactive: false }, found)).rejects.toMatchObject({ code: 'USAGE', hint: 'Add --yes to confirm.' });
  });

  it('neither flag: a terminal chooses when there is a checkpoint; without one the copy itself stops and says to choose', async () => {
    expect(await decideResume({ interactive: true }, found)).toEqual({ kind: 'choose', existing });
    expect(await decideResume({ interactive: true }, none)).toEqual({ kind: 'run' });
    expect(await decideResume({ interactive: false }, found)).toEqual({ kind: 'run' });
  });

  it('turns the answer into the run, a cancel into ABORTED, and warns that a restart creates scans again unless a ledger skips them', () => {
    expect(answerResume(existing, 'resume')).toEqual({ kind: 'run', resume: true, existing });
    expect(answerResume(existing, 'restart')).toEqual({ kind: 'run', restart: true, existing });
    expect(() => answerResume(existing, 'cancel')).toThrow(expect.objectContaining({ code: 'ABORTED' }));
    expect(restartWarning(existing, { recopy: true })).toMatch(/the 2 scan\(s\) this job already created will be created again on the target/);
    expect(restartWarning({ ...existing, created: 0 }, { recopy: true })).toBeUndefined();
    expect(restartWarning(existing, { recopy: false })).toBeUndefined();
  });
});

describe('sameInstance', () => {
  it('one API (any case, default port, trailing slash, user name) or one database is one instance', () => {
    expect(sameInstance({ apiUrl: 'http://H:80/' }, { apiUrl: 'http://h' })).toBe(true);
    expect(sameInstance({ apiUrl: 'http://a:1', dbUrl: 'postgres://u@db:5432/x' }, { apiUrl: 'http://b:2', dbUrl: 'postgres://v@DB:5432/x' })).toBe(true);
    expect(sameInstance({ apiUrl: 'http://a:1', dbUrl: 'postgres://u@db:5432/x' }, { apiUrl: 'http://a:2', dbUrl: 'postgres://u@db:5432/y' })).toBe(false);
  });
});
