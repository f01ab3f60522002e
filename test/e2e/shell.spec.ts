import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, screenshot, test } from './fixtures';

test('the shell renders with navigation for every view and a jobs area', async ({ page, served }) => {
  await page.goto(served.url);
  for (const v of ['project', 'form', 'clips', 'inspector', 'results', 'models']) {
    await expect(page.getByTestId(`nav-${v}`)).toBeVisible();
  }
  await expect(page.getByTestId('jobs')).toBeVisible();
  await expect(page.getByText('browser host')).toBeVisible();
  await expect(page.getByTestId('project-name')).toHaveText('no project open');
  await screenshot(page, 'shell-project');
});

test('a method round-trips: creating a project shows it in the shell', async ({ page, served }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-e2e-proj-'));
  await page.goto(served.url);
  await page.getByTestId('project-path').fill(dir);
  await page.getByTestId('project-create').click();
  await expect(page.getByTestId('project-card')).toContainText(path.basename(dir));
  await expect(page.getByTestId('project-name')).toHaveText(path.basename(dir));
  await page.getByTestId('nav-clips').click();
  await expect(page.getByText('0 clips')).toBeVisible();
  await screenshot(page, 'shell-project-created');
});

test('a bad request shows its error in plain words', async ({ page, served }) => {
  await page.goto(served.url);
  await page.getByTestId('project-path').fill(path.join(os.tmpdir(), 'definitely-not-a-hark-project-' + Date.now()));
  await page.getByTestId('project-open').click();
  await expect(page.getByTestId('project-error')).toContainText('no Hark project');
  await page.getByTestId('project-path').fill('   ');
  await page.getByTestId('project-open').click();
  await expect(page.getByTestId('project-error')).toContainText('path: must not be empty');
  await screenshot(page, 'shell-bad-request');
});

test('a wrong token is refused, for the page and for the socket', async ({ page, served }) => {
  const res = await page.goto(`${served.origin}/?token=not-the-token`);
  expect(res?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('missing or wrong token');
  const wsStatus = await page.evaluate(
    (origin) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(origin.replace('http', 'ws') + '/ws?token=nope');
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    served.origin,
  );
  expect(wsStatus).toBe('refused');
});
