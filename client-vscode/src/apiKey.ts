// API keys live in VS Code's SecretStorage, never in settings: "Set API Key" stores one,
// "Clear API Key" removes it, and the server process receives it in its environment under
// the name `specloop.apiKeyEnv` gives (the only way the server reads a key).
import * as vscode from 'vscode';

const SECRET = 'specloop.apiKey';
export const DEFAULT_KEY_VARIABLE = 'SPECLOOP_API_KEY';

export class ApiKeys {
    constructor(private readonly secrets: vscode.SecretStorage) {}

    // The environment entries the server process needs: `{NAME: key}` or nothing.
    async environment(): Promise<Record<string, string>> {
        const name = vscode.workspace.getConfiguration('specloop').get<string | null>('apiKeyEnv', null);
        const key = await this.secrets.get(SECRET);
        return name && key ? { [name]: key } : {};
    }

    // Asks for the key (hidden input) and, when no variable name is configured yet, sets
    // `specloop.apiKeyEnv` to one in the user settings. What changed: nothing, the key,
    // or the key and the variable's name (a settings change that restarts the server).
    async set(): Promise<'nothing' | 'key' | 'keyAndName'> {
        const key = await vscode.window.showInputBox({
            title: 'specloop: Set API Key',
            prompt: 'The API key for the model in specloop.model. It is kept in VS Code\'s secret storage, never in a settings file.',
            password: true,
            ignoreFocusOut: true,
            validateInput: (value) => (value.trim() ? undefined : 'Enter the key, or press Escape to cancel.'),
        });
        if (!key?.trim()) {
            return 'nothing';
        }
        await this.secrets.store(SECRET, key.trim());
        const config = vscode.workspace.getConfiguration('specloop');
        if (!config.get<string | null>('apiKeyEnv', null)) {
            // Only the variable's *name* goes into settings; the server reads the key from it.
            await config.update('apiKeyEnv', DEFAULT_KEY_VARIABLE, vscode.ConfigurationTarget.Global);
            return 'keyAndName';
        }
        return 'key';
    }

    async clear(): Promise<boolean> {
        if ((await this.secrets.get(SECRET)) === undefined) {
            return false;
        }
        await this.secrets.delete(SECRET);
        return true;
    }
}
