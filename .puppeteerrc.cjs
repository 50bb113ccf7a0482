/**
 * whatsapp-web.js depends on puppeteer, whose install step downloads Chrome.
 * Switchboard drives a system Chromium instead (CHROMIUM_PATH), so the
 * download is skipped everywhere: on developer machines, in CI and in images.
 */
module.exports = { skipDownload: true };
