/** Refuses any database whose name does not contain "test": e2e suites create and drop schemas. */
export function assertTestDatabase(url: string | undefined): string {
  if (!url) throw new Error('TEST_DATABASE_URL / DATABASE_URL is not set: run the tests through `npm test`');
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/test/i.test(name)) {
    throw new Error(`refusing to run e2e tests against database "${name}": its name must contain "test"`);
  }
  return url;
}
