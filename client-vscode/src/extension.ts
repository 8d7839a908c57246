// VS Code entry point: starts the specloop language server for Python files with the
// `specloop.*` settings (and the API key from secret storage in its environment), and
// adds the palette/context-menu commands, the run status item and the restart logic.
import * as vscode from 'vscode';
import {
    CloseAction,
    ConfigurationItem,
    DidChangeConfigurationNotification,
    ErrorAction,
    ErrorHandler,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    LSPAny,
    ServerOptions,
} from 'vscode-languageclient/node';
import { ApiKeys } from './apiKey';
import { ReviewBroker } from './review';
import { CANCEL_RUN_COMMAND, RunStatus } from './runStatus';
import {
    activePythonPath,
    expandVariables,
    installCommand,
    onPythonEnvironmentChange,
    Probe,
    probe,
    resolveLaunch,
    ServerLaunch,
} from './serverCommand';

// The server's own commands (see server/specloop/lsp/loop_feature.py).
const SERVER_IMPLEMENT = 'specloop.implement';
const SERVER_CLARIFY = 'specloop.clarifyTodo';
const SERVER_LAST_RUN = 'specloop.lastRunReport';

// Settings that choose how the server starts: changing one restarts it.
const RESTART_SETTINGS = ['specloop.serverCommand', 'specloop.interpreter', 'specloop.apiKeyEnv'];

// Settings a workspace may legitimately set but that choose which model gets the code or
// which Python runs it: a value from workspace or folder settings reaches the server only
// once the user allowed it. (apiBase, apiKeyEnv, serverCommand and interpreter are
// `machine` settings in package.json: VS Code never takes them from a workspace.)
const ASK_BEFORE_WORKSPACE_VALUE = ['python', 'model', 'stageModels'];
const ANSWERS_KEY = 'specloop.workspaceSettingAnswers';

// The library pops up its own generic error when starting fails; startServer()
// reports those failures itself with a pointer to the setting, so keep them quiet then.
class SpecloopClient extends LanguageClient {
    quietErrors = false;

    override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
        super.error(message, data, this.quietErrors ? false : showNotification);
    }
}

let context: vscode.ExtensionContext;
let output: vscode.OutputChannel;
let client: SpecloopClient | undefined;
let apiKeys: ApiKeys;
let runStatus: RunStatus;
let reviews: ReviewBroker;
// Starts and stops one at a time: a restart requested while one runs waits for it.
let lifecycle: Promise<void> = Promise.resolve();

export async function activate(extensionContext: vscode.ExtensionContext): Promise<void> {
    context = extensionContext;
    output = vscode.window.createOutputChannel('specloop');
    apiKeys = new ApiKeys(context.secrets);
    runStatus = new RunStatus();
    reviews = new ReviewBroker(output);
    const command = (id: string, run: () => unknown) => vscode.commands.registerCommand(id, run);
    context.subscriptions.push(
        output,
        runStatus,
        reviews,
        command('specloop.restartServer', () => restartServer('restart requested')),
        command('specloop.implementAtCursor', () => runAtCursor(SERVER_IMPLEMENT)),
        command('specloop.clarifyAtCursor', () => runAtCursor(SERVER_CLARIFY)),
        command('specloop.showLastRun', showLastRun),
        command('specloop.setApiKey', setApiKey),
        command('specloop.clearApiKey', clearApiKey),
        command(CANCEL_RUN_COMMAND, () => runStatus.cancel()),
        vscode.workspace.onDidChangeConfiguration((event) => {
            // Other settings reach the running server through didChangeConfiguration.
            const changed = RESTART_SETTINGS.find((key) => event.affectsConfiguration(key));
            if (changed) {
                void restartServer(`${changed} changed`);
            }
        }),
        await onPythonEnvironmentChange(() => {
            const config = vscode.workspace.getConfiguration('specloop');
            if (config.get<string[]>('serverCommand', []).length === 0 && !config.get('interpreter')) {
                void restartServer("the Python extension's environment changed");
            } else if (client?.isRunning()) {
                // The project's Python (specloop.python) may follow that environment: re-read.
                client
                    .sendNotification(DidChangeConfigurationNotification.type, { settings: null })
                    .catch(() => undefined);
            }
        }),
    );
    await restartServer('activated');
}

export async function deactivate(): Promise<void> {
    await stopServer();
}

function restartServer(reason: string): Promise<void> {
    lifecycle = lifecycle.then(async () => {
        output.appendLine(`[${new Date().toISOString()}] (Re)starting the server: ${reason}.`);
        await stopServer();
        await startServer();
    });
    return lifecycle;
}

async function startServer(): Promise<void> {
    const resource = vscode.window.activeTextEditor?.document.uri;
    const launch = await resolveLaunch(resource);
    const commandLine = [launch.command, ...launch.args].join(' ');
    output.appendLine(`Server command (from ${launch.source}): ${commandLine}`);
    if (launch.python && !(await checkInstalled(launch))) {
        return;
    }
    // No `transport` on purpose: with TransportKind.stdio the library appends `--stdio`.
    const serverOptions: ServerOptions = {
        command: launch.command,
        args: launch.args,
        options: { env: { ...process.env, ...(await apiKeys.environment()) } },
    };

    let running = false;
    // May ask the user about a workspace value first (a modal question).
    const settings = await serverSettings();
    const newClient = new SpecloopClient(
        'specloop',
        'specloop',
        serverOptions,
        clientOptions(settings, () => running),
    );
    client = newClient;
    // Validated changes come as workspace/applyEdit: reviewed in a diff editor first.
    reviews.attach(newClient);
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
        void showStartFailure(commandLine, launch);
        return;
    }
    runStatus.attach(newClient);
}

async function stopServer(): Promise<void> {
    const old = client;
    client = undefined;
    runStatus?.attach(undefined);
    // dispose() throws when the client never got running; it still ends the process.
    await old?.dispose().catch(() => undefined);
}

// Whether `python -m specloop` can work; if not, says how to install it.
async function checkInstalled(launch: ServerLaunch): Promise<boolean> {
    const python = launch.python as string;
    const probed = await probe(python);
    if (probed.version) {
        output.appendLine(`specloop ${probed.version} is installed for ${python}.`);
        return true;
    }
    const problem = probed.error
        ? `could not run ${python} (from ${launch.source}): ${probed.error}`
        : `specloop is not installed for ${python} (from ${launch.source})`;
    output.appendLine(`Not starting the server: ${problem}.`);
    void showNotInstalled(problem, python, probed);
    return false;
}

async function showNotInstalled(problem: string, python: string, probed: Probe): Promise<void> {
    const install = probed.error ? undefined : installCommand(python, probed, context.extensionPath);
    const copy = 'Copy Install Command';
    const choose = 'Choose Interpreter';
    const showOutput = 'Show Output';
    let message = `specloop: ${problem}.`;
    if (install && install.interpreter !== python) {
        message +=
            ` That Python does not accept pip installs, so the install command makes a virtual environment;` +
            ` then set specloop.interpreter to ${install.interpreter} (copied to the output channel).`;
        output.appendLine(`After installing, set "specloop.interpreter": "${install.interpreter}".`);
    } else if (install) {
        message += ' Install it with the copied command in a terminal, then run "specloop: Restart Server".';
    } else {
        message += ' Set specloop.interpreter to a Python that has specloop installed.';
    }
    const choice = await vscode.window.showErrorMessage(message, ...(install ? [copy] : []), choose, showOutput);
    if (choice === copy && install) {
        await vscode.env.clipboard.writeText(install.command);
        output.appendLine(`Install command (copied to the clipboard): ${install.command}`);
        void vscode.window.showInformationMessage(
            'specloop: the install command is on the clipboard; run it in a terminal, then run "specloop: Restart Server".',
        );
    } else if (choice === choose) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'specloop.interpreter');
    } else if (choice === showOutput) {
        output.show();
    }
}

function clientOptions(settings: Record<string, unknown>, isRunning: () => boolean): LanguageClientOptions {
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
        initializationOptions: settings,
        outputChannel: output,
        errorHandler,
        // Do not retry; startServer() reports the failure.
        initializationFailedHandler: () => false,
        middleware: {
            handleWorkDoneProgress: (token, params, next) => {
                runStatus.observe(token, params);
                next(token, params);
            },
            workspace: {
                configuration: async (params, token, next) => {
                    const result = await next(params, token);
                    if (!Array.isArray(result)) {
                        return result;
                    }
                    return Promise.all(
                        result.map(async (value, index) => {
                            const item = params.items[index];
                            return withProjectPython(item, await withAllowedValues(item, value));
                        }),
                    );
                },
                // No settings in the notification: the server asks for them through
                // workspace/configuration, whose answers pass the check above.
                didChangeConfiguration: (_sections, next) => next(undefined),
            },
        },
    };
}

// The `specloop` settings this extension contributes, as the server's nested JSON.
// The keys come from package.json, so a new setting needs no change here; `trace.*`
// belongs to the language client and `review` to this extension.
async function serverSettings(): Promise<Record<string, unknown>> {
    const properties = context.extension.packageJSON.contributes.configuration.properties as Record<string, unknown>;
    const config = vscode.workspace.getConfiguration('specloop');
    const result: Record<string, unknown> = {};
    for (const fullKey of Object.keys(properties)) {
        const key = fullKey.replace(/^specloop\./, '');
        const value = config.get(key);
        if (key.startsWith('trace.') || key === 'review' || value === undefined) {
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
    return allowedSettings(result, undefined);
}

// A `specloop` section of a workspace/configuration answer with the check below applied.
async function withAllowedValues(item: ConfigurationItem | undefined, value: LSPAny): Promise<LSPAny> {
    if (item?.section !== 'specloop' || typeof value !== 'object' || value === null || Array.isArray(value)) {
        return value;
    }
    const resource = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
    return (await allowedSettings(value as Record<string, unknown>, resource)) as LSPAny;
}

// The one rule for what reaches the server: `settings` (the `specloop` section for
// `resource`) with each ASK_BEFORE_WORKSPACE_VALUE key whose value comes from workspace or
// folder settings kept only when the user allowed that value for this workspace; otherwise
// the user's own value (or the default, null) replaces it.
async function allowedSettings(
    settings: Record<string, unknown>,
    resource: vscode.Uri | undefined,
): Promise<Record<string, unknown>> {
    const config = vscode.workspace.getConfiguration('specloop', resource);
    const result = { ...settings };
    for (const key of ASK_BEFORE_WORKSPACE_VALUE) {
        const inspected = config.inspect(key);
        if (!inspected) {
            continue;
        }
        const fromFolder = inspected.workspaceFolderValue !== undefined;
        const workspaceValue = fromFolder ? inspected.workspaceFolderValue : inspected.workspaceValue;
        // Nothing to ask when the workspace says what the user's own settings say.
        const same = JSON.stringify(workspaceValue) === JSON.stringify(inspected.globalValue);
        if (workspaceValue === undefined || same) {
            continue;
        }
        const where = fromFolder ? 'the workspace folder settings' : 'the workspace settings';
        if (!(await workspaceValueAllowed(key, workspaceValue, where, inspected.globalValue))) {
            const own = inspected.globalValue !== undefined ? inspected.globalValue : inspected.defaultValue;
            result[key] = own === undefined ? null : JSON.parse(JSON.stringify(own));
        }
    }
    return result;
}

// The user's answers, per workspace (workspaceState) and value: { "model=\"x\"": true }.
// A dismissed question counts as "no" until the window reloads, then it is asked again.
const dismissed = new Set<string>();
const asking = new Map<string, Promise<boolean>>();

function workspaceValueAllowed(key: string, value: unknown, where: string, own: unknown): Promise<boolean> {
    const id = `${key}=${JSON.stringify(value)}`;
    const answers = context.workspaceState.get<Record<string, boolean>>(ANSWERS_KEY, {});
    if (typeof answers[id] === 'boolean') {
        return Promise.resolve(answers[id]);
    }
    if (dismissed.has(id)) {
        return Promise.resolve(false);
    }
    // The server may ask for the settings several times at once: one question.
    let pending = asking.get(id);
    if (!pending) {
        pending = askAboutWorkspaceValue(key, value, where, own, id).finally(() => asking.delete(id));
        asking.set(id, pending);
    }
    return pending;
}

async function askAboutWorkspaceValue(
    key: string,
    value: unknown,
    where: string,
    own: unknown,
    id: string,
): Promise<boolean> {
    const allow = 'Allow';
    const deny = "Don't Allow";
    const ownText = own === undefined ? 'the default' : `your user setting (${JSON.stringify(own)})`;
    const chooses = key === 'python' ? 'the Python that runs the checks' : 'the model your code is sent to';
    output.appendLine(`specloop.${key} = ${JSON.stringify(value)} comes from ${where}: asking the user.`);
    const choice = await vscode.window.showWarningMessage(
        `specloop: ${where} set specloop.${key} to ${JSON.stringify(value)}. Use this value from the workspace?`,
        {
            modal: true,
            detail:
                `specloop.${key} chooses ${chooses}. ` +
                `Allow it only if you trust this project's settings. Otherwise specloop uses ${ownText}. ` +
                'The answer is remembered for this workspace until the value changes.',
        },
        allow,
        deny,
    );
    const allowed = choice === allow;
    if (choice === undefined) {
        dismissed.add(id);
    } else {
        const answers = context.workspaceState.get<Record<string, boolean>>(ANSWERS_KEY, {});
        await context.workspaceState.update(ANSWERS_KEY, { ...answers, [id]: allowed });
    }
    const outcome = allowed ? 'allowed' : `not allowed; using ${ownText}`;
    output.appendLine(`specloop.${key} = ${JSON.stringify(value)} from ${where}: ${outcome}.`);
    return allowed;
}

// The `specloop` section of a workspace/configuration answer with `python` (the project's
// Python for the checks) filled in: the setting for that scope with `${workspaceFolder}`
// and `~` expanded, else the Python extension's environment for the file's folder.
function withProjectPython(item: ConfigurationItem | undefined, value: LSPAny): LSPAny {
    if (item?.section !== 'specloop' || typeof value !== 'object' || value === null || Array.isArray(value)) {
        return value;
    }
    try {
        const resource = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
        const configured: unknown = value.python;
        const python =
            typeof configured === 'string' && configured.trim()
                ? expandVariables(configured.trim(), resource)
                : activePythonPath(resource);
        return python ? { ...value, python } : value;
    } catch {
        return value;
    }
}

// ---------------------------------------------------------------------------- commands

async function runningClient(): Promise<SpecloopClient | undefined> {
    await lifecycle;
    if (client?.isRunning()) {
        return client;
    }
    const restart = 'Restart Server';
    const choice = await vscode.window.showErrorMessage(
        'specloop: the language server is not running (see the "specloop" output).',
        restart,
    );
    if (choice === restart) {
        await restartServer('restart requested');
    }
    return undefined;
}

async function runAtCursor(serverCommand: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
        void vscode.window.showWarningMessage('specloop: put the cursor in a Python file first.');
        return;
    }
    const running = await runningClient();
    if (!running) {
        return;
    }
    const position = editor.selection.active;
    const target = {
        uri: editor.document.uri.toString(),
        version: editor.document.version,
        position: { line: position.line, character: position.character },
    };
    // The server reports progress, asks its questions and tells how the run ended itself.
    await running.sendRequest(ExecuteCommandRequest.type, { command: serverCommand, arguments: [target] });
}

async function showLastRun(): Promise<void> {
    const running = await runningClient();
    if (!running) {
        return;
    }
    const answer = (await running.sendRequest(ExecuteCommandRequest.type, {
        command: SERVER_LAST_RUN,
        arguments: [],
    })) as { status: string; uri?: string; message?: string };
    if (!answer.uri) {
        void vscode.window.showInformationMessage(answer.message ?? 'specloop has no runs yet.');
        return;
    }
    const uri = vscode.Uri.parse(answer.uri);
    try {
        await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
        await vscode.window.showTextDocument(uri, { preview: true });
    }
}

async function setApiKey(): Promise<void> {
    const changed = await apiKeys.set();
    if (changed !== 'nothing') {
        const name = vscode.workspace.getConfiguration('specloop').get<string>('apiKeyEnv');
        // A new variable name restarts the server by itself (RESTART_SETTINGS).
        await (changed === 'key' ? restartServer('the API key was set') : lifecycle);
        void vscode.window.showInformationMessage(
            `specloop: the API key is stored in VS Code's secret storage; the server gets it as ${name}.`,
        );
    }
}

async function clearApiKey(): Promise<void> {
    if (await apiKeys.clear()) {
        await restartServer('the API key was cleared');
        void vscode.window.showInformationMessage('specloop: the API key was removed from secret storage.');
    } else {
        void vscode.window.showInformationMessage('specloop: no API key was stored.');
    }
}

async function showStartFailure(commandLine: string, launch: ServerLaunch): Promise<void> {
    const openSettings = 'Open Settings';
    const showOutput = 'Show Output';
    const setting = launch.python ? 'specloop.interpreter' : 'specloop.serverCommand';
    const choice = await vscode.window.showErrorMessage(
        `specloop: could not start the language server with \`${commandLine}\` (from ${launch.source}). ` +
            `See the "specloop" output, or set \`${setting}\`.`,
        openSettings,
        showOutput,
    );
    if (choice === openSettings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', setting);
    } else if (choice === showOutput) {
        output.show();
    }
}
