// Every view with real data: a small demo project built once by the real CLI, served by `hark serve`.
import { test as base } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, ROOT, screenshot, serve, stop, type Served } from './fixtures';

const DEMO = path.join(ROOT, 'test-results', 'e2e-demo');

const test = base.extend<object, { demo: Served }>({
  demo: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      if (!fs.existsSync(path.join(DEMO, 'project', 'project.sqlite')) || !fs.existsSync(path.join(DEMO, 'eval-A', 'report.json'))) {
        fs.rmSync(DEMO, { recursive: true, force: true });
        execFileSync(process.execPath, [path.join(ROOT, 'bin', 'hark.mjs'), 'demo', '--out', DEMO, '--scale', '0.05', '--machines', 'fan,bearing', '--approaches', process.env.HARK_E2E_APPROACHES ?? 'A,B,C'], { stdio: 'inherit', timeout: 600_000 });
      }
      const s = await serve(['--project', path.join(DEMO, 'project')]);
      await use(s);
      await stop(s);
    },
    { scope: 'worker', timeout: 600_000 },
  ],
});

test('Form coverage shows the matrix, routing reasons and the request sheet', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-form').click();
  const matrix = page.getByTestId('form-matrix');
  await expect(matrix).toContainText('fan');
  await expect(matrix).toContainText('bearing');
  await expect(page.getByTestId('form-detail')).toContainText('Routing for');
  await expect(page.getByTestId('form-detail')).toContainText('speed_level');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sheet-html').click()]);
  const html = fs.readFileSync(await download.path(), 'utf8');
  expect(html).toContain('Hark data request');
  await screenshot(page, 'form');
});

test('Clips grid: filter, label with the keyboard, undo, edit metadata', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-clips').click();
  const grid = page.getByTestId('clip-grid');
  await expect(page.getByTestId('clips-count')).toContainText('clips');
  await page.getByTestId('filter-split').selectOption('test');
  await expect(grid.locator('.vrow[data-index="0"]')).toContainText('test');
  await grid.focus();
  await page.keyboard.press('n');
  await expect(page.getByTestId('clips-message')).toContainText('marked normal');
  await expect(grid.locator('.vrow[data-index="0"] .verdict')).toHaveText('normal');
  await page.keyboard.press('a');
  await expect(grid.locator('.vrow[data-index="1"] .verdict')).toHaveText('anomaly');
  await page.getByTestId('undo').click();
  await expect(grid.locator('.vrow[data-index="1"] .verdict')).toHaveText('');
  await grid.locator('.vrow[data-index="0"] .editable').first().dblclick();
  const input = grid.locator('.cell-edit');
  await input.fill('9');
  await input.press('Enter');
  await expect(page.getByTestId('clips-message')).toContainText('mic_position_id set on 1 clip');
  await expect(grid.locator('.vrow[data-index="0"] .editable').first()).toHaveText('9');
  await screenshot(page, 'clips');
  // labels persist in the store: a reload shows them
  await page.reload();
  await page.getByTestId('nav-clips').click();
  await page.getByTestId('filter-verdict').selectOption('normal');
  await expect(page.getByTestId('clips-count')).toContainText('1 clips');
});

test('Clips grid filters by the score range of a run', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-clips').click();
  await expect(page.getByTestId('clips-count')).not.toHaveText(/^0 clips/);
  const all = Number((await page.getByTestId('clips-count').textContent())!.replace(/\D+/g, ''));
  await page.getByTestId('filter-run').selectOption({ index: 1 });
  // a score bound keeps only the clips the run scored
  await page.getByTestId('filter-score-min').fill('-1e9');
  await expect(page.getByTestId('clip-grid').locator('.vrow[data-index="0"] .cell.mono').nth(1)).not.toHaveText('');
  const scored = Number((await page.getByTestId('clips-count').textContent())!.replace(/\D+/g, ''));
  expect(scored).toBeGreaterThan(0);
  expect(scored).toBeLessThan(all);
  await page.getByTestId('filter-score-min').fill('1e9');
  await expect(page.getByTestId('clips-count')).toHaveText(/^0 clips/);
  await screenshot(page, 'clips-score-filter');
});

test('Inspector draws waveform, spectrogram and the anomaly map aligned at every zoom', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-clips').click();
  await page.getByTestId('filter-label').selectOption('anomaly');
  const grid = page.getByTestId('clip-grid');
  await grid.locator('.vrow[data-index="0"]').dblclick();
  await expect(page.getByTestId('inspector-title')).toContainText('anomaly');
  await expect(page.getByTestId('waveform')).toHaveAttribute('data-ready', '1', { timeout: 20_000 });
  const spec = page.locator('[data-testid="spectrogram"]');
  const map = page.locator('[data-testid="anomaly-map"]');
  await expect(spec).toBeVisible();
  await expect(map).toBeVisible();
  for (const z of ['0', '200', '400']) {
    await page.getByTestId('zoom').fill(z);
    await page.waitForTimeout(200);
    const a = await spec.boundingBox();
    const b = await map.boundingBox();
    expect(b).toEqual(a); // same box: same time and mel axes
  }
  await page.getByTestId('zoom').fill('0');
  await expect(page.getByTestId('score-strip')).toBeVisible();
  await screenshot(page, 'inspector');
});

test('Results: score table, ROC with the pAUC region, gate card; a click opens the Inspector', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-results').click();
  await expect(page.getByTestId('score-table')).toContainText('Approach A');
  await expect(page.getByTestId('official-A')).not.toHaveText('—');
  await expect(page.getByTestId('roc-plot').locator('.main-svg').first()).toBeVisible();
  await expect(page.getByTestId('gate-card')).toContainText(/unproven|fail|pass/);
  await expect(page.getByTestId('run-why').locator('li').first()).toBeVisible();
  await screenshot(page, 'results');
  const point = page.getByTestId('hist-plot').locator('.scatterlayer .point').first();
  await point.click({ force: true });
  await expect(page.getByTestId('inspector-title')).toBeVisible();
});

// (the Clips test may have given one bearing clip a verdict by then: a verdict makes a test clip a verification clip)
test('Results: an ensemble without verification clips fails with the reason, and the table is unchanged', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-results').click();
  await expect(page.getByTestId('score-table')).toContainText('Approach A');
  await page.getByTestId('eval-approach').selectOption('ensemble');
  await page.getByTestId('eval-start').click();
  await expect(page.getByTestId('eval-job')).toContainText(/failed: no section could be evaluated:\s+bearing section 00: the ensemble ranks each member's scores against its scores on the section's verification clips, and there (are none|is only one)/, { timeout: 60_000 });
  await expect(page.getByTestId('score-table')).not.toContainText('Ensemble');
  await screenshot(page, 'results-ensemble-refused');
});

test('Models and jobs list encoders with licence and provenance', async ({ page, demo }) => {
  await page.goto(demo.url);
  await page.getByTestId('nav-models').click();
  await expect(page.getByTestId('encoders')).toContainText('fbank_patch');
  await expect(page.getByTestId('encoders')).toContainText('restricted');
  await screenshot(page, 'models');
});
