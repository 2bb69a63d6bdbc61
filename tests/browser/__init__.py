"""Browser tests: the web app in real headless Chromium, driven by Playwright."""
