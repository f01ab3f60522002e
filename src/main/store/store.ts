// A project store: one folder, one project.sqlite, reached only through these repositories.
import path from 'node:path';
import type { ProjectInfo } from '../../shared/api';
import { HarkError } from '../../shared/rpc';
import { ClipsRepo } from './clips-repo';
import { openDb, schemaVersionOf, type Db, type OpenOptions } from './db';
import { EmbeddingsRepo } from './embeddings-repo';
import { ImportLogRepo } from './import-log-repo';
import { LabelsRepo } from './labels-repo';
import { ProjectRepo } from './project-repo';
import { ResultsRepo } from './results-repo';

export class Store {
  readonly project: ProjectRepo;
  readonly clips: ClipsRepo;
  readonly labels: LabelsRepo;
  readonly importLog: ImportLogRepo;
  readonly embeddings: EmbeddingsRepo;
  readonly results: ResultsRepo;

  private constructor(
    readonly dir: string,
    readonly db: Db,
  ) {
    this.project = new ProjectRepo(db);
    this.clips = new ClipsRepo(db);
    this.labels = new LabelsRepo(db);
    this.importLog = new ImportLogRepo(db);
    this.embeddings = new EmbeddingsRepo(db);
    this.results = new ResultsRepo(db);
  }

  static create(dir: string, name?: string): Store {
    const abs = path.resolve(dir);
    let fresh = true;
    try {
      const existing = Store.open(abs);
      existing.close();
      fresh = false;
    } catch (e) {
      if (!(e instanceof HarkError) || e.code !== 'not_found') throw e;
    }
    if (!fresh) throw new HarkError('conflict', `a Hark project already exists at ${abs}; open it instead`);
    const store = new Store(abs, openDb(abs, { create: true }));
    store.project.set('name', name?.trim() || path.basename(abs));
    store.project.set('created_at', new Date().toISOString());
    return store;
  }

  static open(dir: string, opts: OpenOptions = {}): Store {
    const abs = path.resolve(dir);
    return new Store(abs, openDb(abs, opts));
  }

  info(): ProjectInfo {
    return {
      path: this.dir,
      name: this.project.get('name') ?? path.basename(this.dir),
      schemaVersion: schemaVersionOf(this.db),
      createdAt: this.project.get('created_at') ?? '',
      clipCount: this.clips.count(),
      machineTypes: this.clips.machineTypes(),
    };
  }

  /** Run fn in one transaction: a batch either lands whole or not at all. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
