/**
 * `node -r ./test/support/ts-register.js scripts/x.ts`: runs a TypeScript
 * script from source in a child process (tests spawn the real command without
 * a build), transpiling each .ts file on load with the project's compiler.
 */
const ts = require('typescript');
const { readFileSync } = require('node:fs');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
