// The developer portal end to end in a real browser (Debian's Chromium via playwright-core) against an in-process gateway:
// sign in, a policy in the wizard, a bucket, a 12 MiB upload with progress, download, a read-only key, denied writes, shredding.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Download, Locator, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { launchChromium, watchPage, type PageProblem, type PageWatch } from '../support/browser.ts';
import { s3Error } from '../support/s3.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const portalDist = join(repo, 'portal', 'dist');
const artifacts = join(repo, 'test-artifacts', 'portal');
const ROOT = { accessKeyId: 'DSPPORTALROOT0001', secretAccessKey: 'portal-e2e-root-secret-not-for-production' };
const ADMIN_TOKEN = 'portal-e2e-admin-token-0123456789abcdef';
const POLICY = 'three-sites';
const BUCKET = 'portal-e2e';
const BIG_FILE = 'big-12MiB.bin';
const DENIED_FILE = 'denied.txt';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** portal/dist, built with `npm run build:portal` when it is missing; a failed build fails the test with the fix. */
function ensurePortalBuilt(): void {
  const index = join(portalDist, 'index.html');
  if (existsSync(index)) return;
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  if (pkg.scripts?.['build:portal'] === undefined) {
    throw new Error('portal/dist/index.html is missing and package.json has no "build:portal" script: build the portal (npm run build:portal) before this test');
  }
  const build = spawnSync('npm', ['run', 'build:portal'], { cwd: repo, encoding: 'utf8', timeout: 90_000 });
  if (build.status !== 0 || !existsSync(index)) {
    const output = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`portal/dist/index.html is missing and \`npm run build:portal\` failed (exit ${String(build.status ?? build.signal)}): run it by hand and fix the build.\n${output}`);
  }
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The value of an input, select or textarea; the text of anything else. */
async function readField(locator: Locator): Promise<string> {
  const tag = await locator.evaluate((el: { readonly tagName: string }) => el.tagName);
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return (await locator.inputValue()).trim();
  return ((await locator.textContent()) ?? '').trim();
}

/** Sets an input (fill) or a select (the option whose value, or else label, matches). */
async function setField(locator: Locator, value: string): Promise<void> {
  const tag = await locator.evaluate((el: { readonly tagName: string }) => el.tagName);
  if (tag === 'SELECT') await chooseOption(locator, (v, label) => v === value || label === value);
  else await locator.fill(value);
}

/** Picks the first option of a <select> for which `matches(value, label)` holds; fails listing the options otherwise. */
async function chooseOption(select: Locator, matches: (value: string, label: string) => boolean): Promise<string> {
  const options: { value: string; label: string }[] = [];
  for (const option of await select.locator('option').all()) {
    options.push({ value: (await option.getAttribute('value')) ?? ((await option.textContent()) ?? '').trim(), label: ((await option.textContent()) ?? '').trim() });
  }
  const chosen = options.find((o) => matches(o.value, o.label)) ?? options.find((o) => matches(o.value.toLowerCase(), o.label.toLowerCase()));
  if (chosen === undefined) throw new Error(`no matching option in the select; it offers ${JSON.stringify(options)}`);
  await select.selectOption({ value: chosen.value });
  return chosen.value;
}

/** The data-testid of every element whose data-testid starts with `prefix`, sorted. */
async function testIdsStartingWith(page: Page, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (const element of await page.locator(`[data-testid^="${prefix}"]`).all()) ids.push((await element.getAttribute('data-testid')) ?? '');
  return ids.sort();
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves with the first download started by any page of the context (the portal may open one in a new tab). */
function nextDownload(context: BrowserContext): Promise<Download> {
  return new Promise((resolve) => {
    const onDownload = (download: Download): void => {
      for (const page of context.pages()) page.off('download', onDownload);
      context.off('page', onPage);
      resolve(download);
    };
    const onPage = (page: Page): void => { page.on('download', onDownload); };
    for (const page of context.pages()) page.on('download', onDownload);
    context.on('page', onPage);
  });
}

/**
 * Records every value the <progress> with this data-testid takes, from before it exists until told to stop: attribute
 * changes (a MutationObserver) and a 5 ms sampler, so that a fast upload's intermediate values are still seen.
 */
async function recordProgress(page: Page, testId: string): Promise<void> {
  await page.evaluate(`(() => {
    const selector = '[data-testid="' + ${JSON.stringify(testId)} + '"]';
    const seen = [];
    const sample = () => {
      const el = document.querySelector(selector);
      if (el === null) return;
      const entry = [Number(el.value), Number(el.max), el.getAttribute('data-state')];
      const last = seen[seen.length - 1];
      if (last === undefined || last[0] !== entry[0] || last[1] !== entry[1] || last[2] !== entry[2]) seen.push(entry);
    };
    const observer = new MutationObserver(sample);
    observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['value', 'max', 'data-state'] });
    const timer = setInterval(sample, 5);
    globalThis.__dispersaProgress = { seen, stop: () => { observer.disconnect(); clearInterval(timer); sample(); } };
  })()`);
}

async function stopRecordingProgress(page: Page): Promise<[number, number, string | null][]> {
  const json = await page.evaluate<string>('(() => { const p = globalThis.__dispersaProgress; p.stop(); return JSON.stringify(p.seen); })()');
  return JSON.parse(json) as [number, number, string | null][];
}

function describeProblems(problems: readonly PageProblem[]): string {
  return problems.map((p) => `[${p.kind} during "${p.phase}"] ${p.text}${p.url === '' ? '' : ` (${p.url})`}`).join('\n');
}

describe('developer portal in Chromium', () => {
  it('walks through sign-in, policy wizard, bucket, upload with progress, download, read-only key, denied write, shredding', { timeout: 150_000 }, async (t) => {
    const started = Date.now();
    ensurePortalBuilt();
    mkdirSync(artifacts, { recursive: true });
    const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-portal-'));
    const filesDir = mkdtempSync(join(tmpdir(), 'dispersa-portal-files-'));
    const bigPath = join(filesDir, BIG_FILE);
    const big = randomBytes(12 * 1024 * 1024);
    writeFileSync(bigPath, big);
    const deniedPath = join(filesDir, DENIED_FILE);
    writeFileSync(deniedPath, 'a read-only key must not be able to write this\n');

    let gateway: RunningGateway | undefined;
    let browser: Browser | undefined;
    const clients: S3Client[] = [];
    try {
      gateway = await startGateway({
        dataDir,
        host: '127.0.0.1',
        port: 0,
        adminPort: 0,
        env: { DISPERSA_ROOT_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT.secretAccessKey, DISPERSA_ADMIN_TOKEN: ADMIN_TOKEN },
        portalDir: portalDist,
        repairIntervalMs: 0,
      });
      const adminUrl = gateway.adminUrl ?? assert.fail('the gateway has no admin listener');
      const s3Url = gateway.url;
      const admin = async (path: string): Promise<unknown> => {
        const response = await fetch(`${adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.equal(response.status, 200, `GET ${path}: ${await response.clone().text()}`);
        return response.json();
      };
      const s3 = (credentials: { accessKeyId: string; secretAccessKey: string }): S3Client => {
        const client = new S3Client({ endpoint: s3Url, region: 'us-east-1', forcePathStyle: true, credentials });
        clients.push(client);
        return client;
      };
      const system = (await admin('/api/v1/system')) as { s3_url?: unknown };
      assert.equal(system.s3_url, s3Url, 'GET /api/v1/system names the S3 endpoint the portal calls');

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const watch: PageWatch = watchPage(page);
      const byId = (id: string): Locator => page.getByTestId(id);
      const shot = async (name: string): Promise<void> => { await page.screenshot({ path: join(artifacts, `${name}.png`) }); };

      const signIn = async (credentials: { accessKeyId: string; secretAccessKey: string }): Promise<void> => {
        await byId('signin-access-key').fill(credentials.accessKeyId);
        await byId('signin-secret-key').fill(credentials.secretAccessKey);
        await byId('signin-submit').click();
        await byId('nav-buckets').waitFor();
      };
      const signOut = async (): Promise<void> => {
        await byId('signout').click();
        await byId('signin-access-key').waitFor();
      };
      const openBuckets = async (): Promise<void> => {
        await byId('nav-buckets').click();
        await byId('bucket-new').waitFor();
      };

      // Sign in as root.
      watch.phase = 'sign in as root';
      await page.goto(adminUrl);
      await byId('signin-access-key').waitFor();
      await shot('signin');
      await signIn(ROOT);
      await openBuckets();
      await shot('buckets-empty');

      // A policy over three locations, k=2 r=1, in the wizard.
      watch.phase = 'policy wizard';
      await byId('nav-policies').click();
      await byId('policy-new').waitFor();
      await shot('policies');
      await byId('policy-new').click();
      await byId('policy-name').fill(POLICY);
      for (const location of ['local-1', 'local-2', 'local-3']) await byId(`policy-location-${location}`).check();
      await setField(byId('policy-redundant'), '1');
      await setField(byId('policy-data'), '2');
      await waitUntil(async () => (await readField(byId('policy-explanation'))) !== '', 'policy-explanation to explain the choice');
      const explanation = await readField(byId('policy-explanation'));
      t.diagnostic(`policy-explanation: ${explanation}`);
      await shot('policies-wizard');
      await byId('policy-save').click();
      await byId(`policy-row-${POLICY}`).waitFor();
      const policy = (await admin(`/api/v1/policies/${POLICY}`)) as { backends: string[]; edge_devices: string[]; redundancy: { data_packets: number; redundant_packets: number } };
      assert.deepEqual([...policy.backends, ...policy.edge_devices].sort(), ['local-1', 'local-2', 'local-3']);
      assert.equal(policy.redundancy.data_packets, 2);
      assert.equal(policy.redundancy.redundant_packets, 1);

      // A bucket with that policy.
      watch.phase = 'create bucket';
      await openBuckets();
      await byId('bucket-new').click();
      await byId('bucket-name').fill(BUCKET);
      await chooseOption(byId('bucket-policy'), (value, label) => value === POLICY || label === POLICY || label.startsWith(`${POLICY} `));
      await byId('bucket-create').click();
      await byId(`bucket-row-${BUCKET}`).waitFor();
      const bucket = (await admin(`/api/v1/buckets/${BUCKET}`)) as { policy: { name: string } };
      assert.equal(bucket.policy.name, POLICY);
      await shot('buckets');
      await page.setViewportSize(PHONE);
      await shot('buckets-phone');
      const phoneWidths = await page.evaluate<string>('JSON.stringify([document.documentElement.scrollWidth, document.documentElement.clientWidth])');
      t.diagnostic(`buckets page at phone width: scrollWidth, clientWidth = ${phoneWidths}; bucket-shred-${BUCKET} at ${JSON.stringify(await byId(`bucket-shred-${BUCKET}`).boundingBox())}`);
      await page.setViewportSize(DESKTOP);

      // Upload 12 MiB and watch the progress bar move.
      watch.phase = 'upload';
      await byId(`bucket-open-${BUCKET}`).click();
      await byId('upload-input').waitFor({ state: 'attached' });
      await shot('objects');
      await recordProgress(page, `upload-progress-${BIG_FILE}`);
      const uploadStarted = Date.now();
      await byId('upload-input').setInputFiles(bigPath);
      const progress = byId(`upload-progress-${BIG_FILE}`);
      await waitUntil(async () => ['done', 'failed'].includes((await progress.getAttribute('data-state')) ?? ''), `upload-progress-${BIG_FILE} to reach data-state done`, 60_000);
      const samples = await stopRecordingProgress(page);
      t.diagnostic(`upload of 12 MiB took ${Date.now() - uploadStarted} ms; progress values seen: ${JSON.stringify(samples.slice(0, 40))}`);
      assert.equal(await progress.getAttribute('data-state'), 'done', `the upload failed; error-banner says: ${await page.getByTestId('error-banner').allTextContents().then((texts) => texts.join(' | '))}`);
      const between = samples.filter(([value, max]) => value > 0 && value < max);
      const distinct = new Set(samples.map(([value, max]) => (max > 0 ? value / max : value)));
      assert.ok(between.length > 0 || distinct.size >= 3, `the progress bar should move: values seen ${JSON.stringify(samples)}`);
      await byId(`object-row-${BIG_FILE}`).waitFor();
      await shot('objects-uploaded');

      // Download it and compare the bytes.
      watch.phase = 'download';
      const downloading = nextDownload(context);
      await byId(`object-download-${BIG_FILE}`).click();
      const download = await downloading;
      const failure = await download.failure();
      assert.equal(failure, null, `the download failed: ${String(failure)}`);
      const downloaded = readFileSync(await download.path());
      assert.equal(downloaded.length, big.length, 'downloaded size');
      assert.equal(sha256(downloaded), sha256(big), 'downloaded bytes equal the uploaded ones');
      assert.equal(download.suggestedFilename(), BIG_FILE, 'the download keeps the object name');

      // A read-only key in the Keys page.
      watch.phase = 'create read-only key';
      await byId('nav-keys').click();
      await byId('key-new').waitFor();
      await shot('keys');
      await byId('key-new').click();
      await chooseOption(byId('key-default-scope'), (value, label) => value === 'read' || label === 'read' || /^read\b/i.test(label));
      await byId('key-create').click();
      await byId('key-secret').waitFor();
      const readKey = { accessKeyId: await readField(byId('key-access-key')), secretAccessKey: await readField(byId('key-secret')) };
      assert.match(readKey.accessKeyId, /^\S{8,}$/, 'key-access-key shows the new access key id');
      assert.match(readKey.secretAccessKey, /^\S{16,}$/, 'key-secret shows the new secret');
      await shot('keys-created');
      const created = (await admin(`/api/v1/keys/${encodeURIComponent(readKey.accessKeyId)}`)) as { default_scope: string };
      assert.equal(created.default_scope, 'read');

      // The other pages, as root.
      watch.phase = 'locations, audit, system';
      await byId('nav-locations').click();
      await page.getByText('local-1').first().waitFor();
      await shot('locations');
      await byId('nav-audit').click();
      await byId('audit-chain-status').waitFor();
      t.diagnostic(`audit-chain-status: ${await readField(byId('audit-chain-status'))}`);
      await shot('audit');
      await byId('nav-system').click();
      await byId('cache-enabled').waitFor();
      await shot('system');

      // Signed in with the read-only key, an upload fails with a clear message and changes nothing.
      watch.phase = 'sign in with the read-only key';
      await signOut();
      await signIn(readKey);
      await openBuckets();
      await byId(`bucket-open-${BUCKET}`).click();
      await byId(`object-row-${BIG_FILE}`).waitFor();
      const rowsBefore = await testIdsStartingWith(page, 'object-row-');
      watch.phase = 'read-only upload (denied)';
      await byId('upload-input').setInputFiles(deniedPath);
      const banner = page.getByTestId('error-banner');
      await banner.first().waitFor();
      const bannerText = (await banner.allTextContents()).join(' | ');
      t.diagnostic(`error-banner: ${bannerText}`);
      assert.match(bannerText, /access ?denied/i, 'the error banner says the write was denied');
      const deniedProgress = byId(`upload-progress-${DENIED_FILE}`);
      if ((await deniedProgress.count()) > 0) {
        await waitUntil(async () => (await deniedProgress.getAttribute('data-state')) === 'failed', `upload-progress-${DENIED_FILE} to reach data-state failed`);
      }
      await shot('objects-denied');
      watch.phase = 'read-only: object list unchanged';
      await page.waitForTimeout(300);
      assert.deepEqual(await testIdsStartingWith(page, 'object-row-'), rowsBefore, 'the object list is unchanged');
      const listed = await s3(ROOT).send(new ListObjectsV2Command({ Bucket: BUCKET }));
      assert.deepEqual((listed.Contents ?? []).map((o) => o.Key), [BIG_FILE], 'nothing was stored');
      assert.equal((await s3Error(s3(readKey).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'via-sdk.txt', Body: 'no' })))).name, 'AccessDenied');

      // Back as root: shred the bucket.
      watch.phase = 'shred as root';
      await signOut();
      await signIn(ROOT);
      await openBuckets();
      await byId(`bucket-shred-${BUCKET}`).click();
      await byId('shred-confirm').fill(BUCKET);
      await byId('shred-submit').click();
      await byId(`bucket-row-${BUCKET}`).waitFor({ state: 'detached' });
      assert.equal((await s3Error(s3(ROOT).send(new ListObjectsV2Command({ Bucket: BUCKET })))).name, 'NoSuchBucket');
      watch.phase = 'end';

      // Chromium logs a failed request as a console error: only the one denied upload may do so.
      const expected = watch.problems.filter((p) => p.kind === 'console' && p.phase === 'read-only upload (denied)' && /status of 403/.test(p.text));
      t.diagnostic(`expected console errors (the denied upload): ${describeProblems(expected) || 'none'}`);
      const unexpected = watch.problems.filter((p) => !(p.kind === 'console' && p.phase === 'read-only upload (denied)' && /status of 403/.test(p.text)));
      assert.equal(unexpected.length, 0, `uncaught page errors or console errors:\n${describeProblems(unexpected)}`);
      t.diagnostic(`walkthrough took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
    } finally {
      for (const client of clients) client.destroy();
      await browser?.close();
      await gateway?.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(filesDir, { recursive: true, force: true });
    }
  });
});
