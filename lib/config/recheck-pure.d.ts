/** recheck's in-thread build: the same API as the package's main entry, without its agent process or worker. */
declare module 'recheck/lib/browser.js' {
  const recheck: typeof import('recheck');
  export default recheck;
}
