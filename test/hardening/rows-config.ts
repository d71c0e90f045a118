/** security.md §2.5 and rule 7: an app.yaml is untrusted input, refused at appYaml() before anything runs. */
import { py27, yaml } from '../helpers/app-dir.js';

export interface ConfigRow {
  id: string;
  what: string;
  /** The app.yaml text. */
  text: string;
  /** The ConfigError's message must match. */
  message: RegExp;
}

const handler = (...lines: string[]) => py27('handlers:', ...lines);

export const CONFIG_ROWS: ConfigRow[] = [
  { id: '§2.5 #100', what: 'url: /(a+)+$', text: handler('- url: /(a+)+$', '  script: main.app'), message: /backtrack|exponential|catastroph/i },
  { id: '§2.5 #100 (\\w+\\s*)', what: 'url: /(\\w+\\s*)+$', text: handler('- url: /(\\w+\\s*)+$', '  script: main.app'), message: /backtrack|exponential|catastroph/i },
  { id: '§2.5 #101', what: 'lookahead in a url', text: handler('- url: /(?=a)a', '  script: main.app'), message: /lookahead|look-ahead|not supported/i },
  { id: '§2.5 #101 (backreference)', what: 'backreference in a url', text: handler('- url: /(a)\\1', '  script: main.app'), message: /back-?reference|not supported/i },
  { id: '§2.5 #103', what: 'unknown key static_dirs', text: handler('- url: /s', '  static_dirs: static'), message: /static_dirs/ },
  { id: '§2.5 #103 (secure: yes)', what: 'secure: yes', text: handler('- url: /s', '  static_dir: static', '  secure: yes'), message: /secure/ },
  { id: '§2.5 #104', what: 'static_dir: ../../etc', text: handler('- url: /s', '  static_dir: ../../etc'), message: /static_dir/ },
  { id: '§2.5 #104 (absolute)', what: 'static_dir: /etc', text: handler('- url: /s', '  static_dir: /etc'), message: /static_dir/ },
  { id: '§2.5 #106', what: 'expiration: "1x"', text: handler('- url: /s', '  static_dir: static', '  expiration: "1x"'), message: /expiration/ },
  { id: '§2.5 #106 (huge)', what: 'expiration: "99999999999d"', text: handler('- url: /s', '  static_dir: static', '  expiration: "99999999999d"'), message: /expiration/ },
  { id: '§2.5 #107', what: 'duplicate url: key', text: handler('- url: /a', '  url: /b', '  static_dir: static'), message: /url/ },
  { id: '§2.5 #109', what: '5 000 nested [', text: yaml('runtime: python27', 'threadsafe: true', `handlers: ${'['.repeat(5000)}${']'.repeat(5000)}`), message: /./ },
  {
    id: '§2.5 #110',
    what: '101 handlers',
    text: handler(...Array.from({ length: 101 }, (_, i) => [`- url: /h${i}`, '  script: main.app']).flat()),
    message: /100/,
  },
  { id: '§2.5 #112', what: 'static_files without upload', text: handler('- url: /(.*)', '  static_files: \\1'), message: /upload/ },
  {
    id: '§1.6 alias bomb',
    what: 'billion laughs through aliases',
    text: yaml(
      'runtime: python27',
      'threadsafe: true',
      'env_variables:',
      '  A: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]',
      // 9 levels of 12 aliases each: 12^9 strings once expanded, over 100 aliases in the text.
      ...Array.from({ length: 9 }, (_, i) => `  ${String.fromCharCode(66 + i)}: &${String.fromCharCode(98 + i)} [${Array(12).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`),
      'handlers:',
      '- url: /.*',
      '  script: main.app',
    ),
    // Refused without being expanded: the validator walks the node tree, never 12^9 strings.
    message: /alias|env_variables/i,
  },
  { id: '§0.7+ include of itself', what: 'includes: [app.yaml]', text: py27('includes:', '- app.yaml', 'handlers:', '- url: /.*', '  script: main.app'), message: /include/i },
  { id: '§0.7+ include outside the app', what: 'includes: [../../etc/passwd]', text: py27('includes:', '- ../../../../etc/passwd', 'handlers:', '- url: /.*', '  script: main.app'), message: /include/i },
  { id: '§0.7+ oversized app.yaml', what: '3 MB of comments', text: py27('handlers:', '- url: /.*', '  script: main.app', ...Array<string>(30000).fill(`# ${'x'.repeat(100)}`)), message: /./ },
];
