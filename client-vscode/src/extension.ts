// VS Code entry point: starts the specloop language server over stdio for Python
// files, passes it the `specloop.*` settings, and offers a restart command.
import * as vscode from 'vscode';
import {
    CloseAction,
    ErrorAction,
    ErrorHandler,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
} from 'vscode-languageclient/node';

const DEFAULT_COMMAND = ['specloop', 'serve'];

// The settings the server's config model knows, as dotted keys under `specloop`.
const SETTING_KEYS = [
    'serverCommand',
    'diagnostics.enabled',
    'diagnostics.severity',
    'diagnostics.markers',
    'diagnostics.exclude',
    'model',
    'apiBase',
    'apiKeyEnv',
    'temperature',
    'stageModels',
    'maxAttempts',
];

// The library pops up its own generic error when starting fails; startServer()
// reports those failures itself with a pointer to the setting, so keep them quiet then.
class SpecloopClient extends LanguageClient {
    quietErrors = false;

    override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
        super.error(message, data, this.quietErrors ? false : showNotification);
    }
}

let output: vscode.OutputChannel;
let client: SpecloopClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    output = vscode.window.createOutputChannel('specloop');
    context.subscriptions.push(
        output,
        vscode.commands.registerCommand('specloop.restartServer', restartServer),
        vscode.workspace.onDidChangeConfiguration((event) => {
            // Other settings reach the running server through didChangeConfiguration.
            if (event.affectsConfiguration('specloop.serverCommand')) {
                void restartServer();
            }
        }),
    );
    await startServer();
}

export async function deactivate(): Promise<void> {
    await stopServer();
}

async function restartServer(): Promise<void> {
    await stopServer();
    await startServer();
}

async function startServer(): Promise<void> {
    const [command, ...args] = serverCommand();
    const commandLine = [command, ...args].join(' ');
    // No `transport` on purpose: with TransportKind.stdio the library appends `--stdio`.
    const serverOptions: ServerOptions = { command, args };

    let running = false;
    const newClient = new SpecloopClient('specloop', 'specloop', serverOptions, clientOptions(() => running));
    client = newClient;
    output.appendLine(`Starting the language server: ${commandLine}`);
    newClient.quietErrors = true;
    try {
        await newClient.start();
    } catch (error) {
        output.appendLine(`Could not start the language server: ${String(error)}`);
    } finally {
        newClient.quietErrors = false;
    }
    // start() can resolve without a running server when the process exits during
    // initialize, so look at the state rather than only at the rejection.
    running = newClient.isRunning();
    if (!running && client === newClient) {
        await stopServer();
        // Not awaited: activation must not wait for the user to answer.
        void showStartFailure(commandLine);
    }
}

async function stopServer(): Promise<void> {
    const old = client;
    client = undefined;
    // dispose() throws when the client never got running; it still ends the process.
    await old?.dispose().catch(() => undefined);
}

function serverCommand(): string[] {
    const configured = vscode.workspace.getConfiguration('specloop').get<string[]>('serverCommand', []);
    return configured.length > 0 ? configured : DEFAULT_COMMAND;
}

function clientOptions(isRunning: () => boolean): LanguageClientOptions {
    const crashes: number[] = [];
    const errorHandler: ErrorHandler = {
        error: (_error, _message, count) => ({
            action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => {
            // A server that dies while starting would only die again; startServer() reports it.
            if (!isRunning()) {
                return { action: CloseAction.DoNotRestart, handled: true };
            }
            const now = Date.now();
            crashes.push(now);
            while (crashes[0] < now - 3 * 60_000) {
                crashes.shift();
            }
            if (crashes.length > 4) {
                return {
                    action: CloseAction.DoNotRestart,
                    message:
                        'The specloop server crashed 5 times in 3 minutes and will not be restarted. ' +
                        'See the "specloop" output, then run "specloop: Restart Server".',
                };
            }
            return { action: CloseAction.Restart };
        },
    };
    return {
        documentSelector: [
            { scheme: 'file', language: 'python' },
            { scheme: 'untitled', language: 'python' },
        ],
        synchronize: { configurationSection: 'specloop' },
        initializationOptions: settings(),
        outputChannel: output,
        errorHandler,
        // Do not retry; startServer() reports the failure.
        initializationFailedHandler: () => false,
    };
}

// The `specloop` settings as plain JSON: dotted keys become nested objects.
function settings(): Record<string, unknown> {
    const config = vscode.workspace.getConfiguration('specloop');
    const result: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) {
        const value = config.get(key);
        if (value === undefined) {
            continue;
        }
        const parts = key.split('.');
        const leaf = parts.pop() as string;
        let node = result;
        for (const part of parts) {
            node = (node[part] ??= {}) as Record<string, unknown>;
        }
        node[leaf] = JSON.parse(JSON.stringify(value));
    }
    return result;
}

async function showStartFailure(commandLine: string): Promise<void> {
    const openSettings = 'Open Settings';
    const showOutput = 'Show Output';
    const choice = await vscode.window.showErrorMessage(
        `specloop: could not start the language server with \`${commandLine}\`. ` +
            'Install specloop (for example `pipx install specloop`), or set `specloop.serverCommand` ' +
            'to the command that runs it, such as `["/path/to/.venv/bin/specloop", "serve"]`.',
        openSettings,
        showOutput,
    );
    if (choice === openSettings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'specloop.serverCommand');
    } else if (choice === showOutput) {
        output.show();
    }
}
