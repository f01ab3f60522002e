// Numbered migrations. Append only: never edit a migration that has shipped.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE project (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE machine_types (
  name TEXT PRIMARY KEY
);

CREATE TABLE sections (
  machine_type TEXT NOT NULL REFERENCES machine_types(name) ON DELETE CASCADE,
  section      TEXT NOT NULL,
  PRIMARY KEY (machine_type, section)
);

-- one row per imported source file; the audio stays where it is (referenced by path + hash)
CREATE TABLE files (
  id           INTEGER PRIMARY KEY,
  path         TEXT NOT NULL UNIQUE,
  sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
  size_bytes   INTEGER NOT NULL,
  sample_rate  INTEGER NOT NULL CHECK (sample_rate > 0),
  channels     INTEGER NOT NULL CHECK (channels > 0),
  duration_s   REAL NOT NULL CHECK (duration_s >= 0),
  format       TEXT NOT NULL,
  source_package TEXT NOT NULL,
  imported_at  TEXT NOT NULL
);
CREATE INDEX files_sha ON files(sha256);

-- one row per analysis clip (a file may be sliced into several 10 s clips)
CREATE TABLE clips (
  id           INTEGER PRIMARY KEY,
  file_id      INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  machine_type TEXT NOT NULL,
  section      TEXT NOT NULL,
  domain       TEXT CHECK (domain IN ('source', 'target')),
  split        TEXT NOT NULL CHECK (split IN ('train', 'test', 'supplemental')),
  label        TEXT CHECK (label IN ('normal', 'anomaly')),
  role         TEXT NOT NULL CHECK (role IN ('target_normal', 'source_normal', 'noise_only', 'clean_machine', 'verification', 'test')),
  offset_s     REAL NOT NULL DEFAULT 0,
  duration_s   REAL NOT NULL,
  attributes   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
  stats        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
  conversions  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(conversions)),
  FOREIGN KEY (machine_type, section) REFERENCES sections(machine_type, section),
  UNIQUE (file_id, offset_s)
);
CREATE INDEX clips_mts ON clips(machine_type, section, split);
CREATE INDEX clips_role ON clips(role);
CREATE INDEX clips_name ON clips(name);

CREATE TABLE verification_labels (
  clip_id  INTEGER PRIMARY KEY REFERENCES clips(id) ON DELETE CASCADE,
  verdict  TEXT NOT NULL CHECK (verdict IN ('normal', 'anomaly', 'unsure')),
  who      TEXT NOT NULL,
  at       TEXT NOT NULL
);
-- every change kept: who said what, when (labels are evidence for the KPI gate)
CREATE TABLE verification_history (
  id       INTEGER PRIMARY KEY,
  clip_id  INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
  verdict  TEXT CHECK (verdict IN ('normal', 'anomaly', 'unsure')),
  who      TEXT NOT NULL,
  at       TEXT NOT NULL
);

-- embedding cache keyed by content hash, so no clip is encoded twice (even across re-imports)
CREATE TABLE embeddings (
  sha256        TEXT NOT NULL,
  offset_s      REAL NOT NULL,
  encoder_id    TEXT NOT NULL,
  encoder_version TEXT NOT NULL,
  layer         INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('patches', 'embedding')),
  shape         TEXT NOT NULL CHECK (json_valid(shape)),
  data          BLOB NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (sha256, offset_s, encoder_id, encoder_version, layer, kind)
);

CREATE TABLE detectors (
  id            INTEGER PRIMARY KEY,
  approach      TEXT NOT NULL,
  machine_type  TEXT NOT NULL,
  section       TEXT NOT NULL,
  config        TEXT NOT NULL CHECK (json_valid(config)),
  state_json    TEXT NOT NULL CHECK (json_valid(state_json)),
  complete      INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
  created_at    TEXT NOT NULL
);
CREATE TABLE detector_blobs (
  detector_id   INTEGER NOT NULL REFERENCES detectors(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  data          BLOB NOT NULL,
  PRIMARY KEY (detector_id, name)
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  approach      TEXT,
  detector_id   INTEGER REFERENCES detectors(id) ON DELETE SET NULL,
  params        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
  report        TEXT CHECK (report IS NULL OR json_valid(report)),
  started_at    TEXT NOT NULL,
  finished_at   TEXT
);

CREATE TABLE scores (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  clip_id  INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
  score    REAL NOT NULL,
  parts    TEXT CHECK (parts IS NULL OR json_valid(parts)),
  PRIMARY KEY (run_id, clip_id)
);
CREATE INDEX scores_clip ON scores(clip_id);

CREATE TABLE anomaly_maps (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  clip_id  INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
  geometry TEXT NOT NULL CHECK (json_valid(geometry)),
  data     BLOB NOT NULL,
  layers   BLOB,
  PRIMARY KEY (run_id, clip_id)
);

CREATE TABLE import_log (
  id        INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  package   TEXT NOT NULL,
  path      TEXT NOT NULL,
  level     TEXT NOT NULL CHECK (level IN ('error', 'warning', 'info')),
  message   TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'training checkpoints',
    sql: `
-- partial training state (approach C's episodes) so a killed or cancelled fit resumes where it stopped
CREATE TABLE checkpoints (
  key         TEXT PRIMARY KEY,
  state_json  TEXT NOT NULL CHECK (json_valid(state_json)),
  saved_at    TEXT NOT NULL
);
CREATE TABLE checkpoint_blobs (
  key   TEXT NOT NULL REFERENCES checkpoints(key) ON DELETE CASCADE,
  name  TEXT NOT NULL,
  data  BLOB NOT NULL,
  PRIMARY KEY (key, name)
);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
