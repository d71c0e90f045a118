/**
 * The python27 `libraries:` table, transcribed from the App Engine Python SDK 1.9.91
 * `google/appengine/api/appinfo.py` list `_SUPPORTED_LIBRARIES` (source order kept):
 * supported versions, the version `latest` stands for, and the deprecated versions.
 * Names are case-sensitive, as in the SDK (`MySQLdb`, `PIL`, `PyAMF`).
 */
export interface SupportedLibrary {
  versions: readonly string[];
  latest: string;
  deprecated: readonly string[];
}

type Row = [name: string, versions: string[], latest: string, deprecated?: string[]];

const ROWS: Row[] = [
  ['clearsilver', ['0.10.5'], '0.10.5'],
  ['click', ['6.6'], '6.6'],
  ['django', ['1.2', '1.3', '1.4', '1.5', '1.9', '1.11'], '1.4', ['1.2', '1.3', '1.5', '1.9']],
  ['enum', ['0.9.23'], '0.9.23'],
  ['endpoints', ['1.0'], '1.0'],
  ['flask', ['0.12'], '0.12'],
  ['futures', ['3.0.5'], '3.0.5'],
  ['grpcio', ['1.0.0'], '1.0.0'],
  ['itsdangerous', ['0.24'], '0.24'],
  ['jinja2', ['2.6'], '2.6'],
  ['lxml', ['2.3', '2.3.5', '3.7.3'], '3.7.3', ['2.3', '2.3.5']],
  ['markupsafe', ['0.15', '0.23'], '0.15'],
  ['matplotlib', ['1.2.0'], '1.2.0'],
  ['MySQLdb', ['1.2.4b4', '1.2.4', '1.2.5'], '1.2.5', ['1.2.4b4', '1.2.4']],
  ['numpy', ['1.6.1'], '1.6.1'],
  ['PIL', ['1.1.7'], '1.1.7'],
  ['protorpc', ['1.0'], '1.0'],
  ['pytz', ['2016.4', '2017.2', '2017.3'], '2017.3', ['2016.4', '2017.2']],
  ['crcmod', ['1.7'], '1.7'],
  ['protobuf', ['3.0.0'], '3.0.0'],
  ['PyAMF', ['0.6.1', '0.7.2'], '0.6.1'],
  ['pycrypto', ['2.3', '2.6', '2.6.1'], '2.6', ['2.3']],
  ['setuptools', ['0.6c11', '36.6.0'], '36.6.0', ['0.6c11']],
  ['six', ['1.9.0'], '1.9.0'],
  ['ssl', ['2.7', '2.7.11'], '2.7.11', ['2.7']],
  ['ujson', ['1.35'], '1.35'],
  ['webapp2', ['2.3', '2.5.1', '2.5.2'], '2.5.2', ['2.5.1']],
  ['webob', ['1.1.1', '1.2.3'], '1.2.3'],
  ['werkzeug', ['0.11.10'], '0.11.10'],
  ['yaml', ['3.10'], '3.10'],
];

export const SUPPORTED_LIBRARIES: ReadonlyMap<string, SupportedLibrary> = new Map(
  ROWS.map(([name, versions, latest, deprecated = []]) => [name, Object.freeze({ versions: Object.freeze(versions), latest, deprecated: Object.freeze(deprecated) })]),
);

/** `use one of: "1.4", "1.11" or "latest"`, listing the non-deprecated versions as the SDK does. */
function useOneOf(lib: SupportedLibrary): string {
  const current = lib.versions.filter((v) => !lib.deprecated.includes(v));
  return `use one of: ${current.map((v) => `"${v}"`).join(', ')} or "latest"`;
}

/**
 * The version App Engine would use: `latest` resolved; or an error message string in `{ error }`
 * when the name or version is not supported. Deprecated versions are accepted but reported in
 * `{ version, warning }`.
 */
export function resolveLibrary(name: string, version: string): { version: string; warning?: string } | { error: string } {
  const lib = SUPPORTED_LIBRARIES.get(name);
  if (!lib) return { error: `the library "${name}" is not supported` };
  if (version === 'latest') return { version: lib.latest };
  if (!lib.versions.includes(version)) return { error: `${name} version "${version}" is not supported, ${useOneOf(lib)}` };
  if (lib.deprecated.includes(version)) return { version, warning: `${name} version "${version}" is deprecated, ${useOneOf(lib)}` };
  return { version };
}
