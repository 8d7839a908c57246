// Builds the specloop server's wheel into server/ so the .vsix carries it: the extension's
// "Copy Install Command" then points at a file the user already has. Needs uv
// (https://docs.astral.sh/uv/), which the repository's scripts install.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const extension = path.resolve(__dirname, '..');
const repository = path.resolve(extension, '..');
const out = path.join(extension, 'server');

fs.rmSync(out, { recursive: true, force: true });
try {
    execFileSync(process.env.UV ?? 'uv', ['build', '--wheel', '--quiet', '--out-dir', out, repository], {
        stdio: 'inherit',
    });
} catch (error) {
    console.error(`bundle-server: building the specloop wheel with uv failed: ${error.message}`);
    console.error('Install uv (python3 -m pip install uv), or run `bash scripts/test` once, then retry.');
    process.exit(1);
}
for (const name of fs.readdirSync(out)) {
    if (!name.endsWith('.whl')) {
        fs.rmSync(path.join(out, name), { recursive: true, force: true });
    }
}
console.log(`bundle-server: ${fs.readdirSync(out).join(', ')}`);
