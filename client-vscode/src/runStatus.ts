// A status bar item for the loops the server is running: it shows the stage the newest
// run reports through `$/progress` and cancels a run when clicked. It watches the
// progress the language client already receives (middleware), so the server needs no
// extra protocol.
import * as vscode from 'vscode';
import {
    LanguageClient,
    ProgressToken,
    WorkDoneProgressBegin,
    WorkDoneProgressCancelNotification,
    WorkDoneProgressEnd,
    WorkDoneProgressReport,
} from 'vscode-languageclient/node';

export const CANCEL_RUN_COMMAND = 'specloop.cancelRun';

interface Run {
    token: ProgressToken;
    title: string;
    // The last stage the run reported (`[plan] …` → `plan`) and its latest message.
    stage?: string;
    message: string;
}

export class RunStatus implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem('specloop.run', vscode.StatusBarAlignment.Left, 100);
    private readonly runs = new Map<ProgressToken, Run>();
    private client: LanguageClient | undefined;

    constructor() {
        this.item.name = 'specloop run';
        this.item.command = CANCEL_RUN_COMMAND;
    }

    attach(client: LanguageClient | undefined): void {
        this.client = client;
        this.runs.clear();
        this.render();
    }

    // Called for every progress notification the server sends (see clientOptions).
    observe(token: ProgressToken, value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void {
        if (value.kind === 'begin') {
            if (value.cancellable && value.title.startsWith('specloop')) {
                this.runs.set(token, { token, title: value.title, message: value.message ?? '' });
            }
        } else if (value.kind === 'report') {
            const run = this.runs.get(token);
            if (run && value.message) {
                run.message = value.message;
                run.stage = /^\[(\w+)\]/.exec(value.message)?.[1] ?? run.stage;
            }
        } else {
            this.runs.delete(token);
        }
        this.render();
    }

    async cancel(): Promise<void> {
        const runs = [...this.runs.values()];
        if (runs.length === 0 || !this.client) {
            void vscode.window.showInformationMessage('specloop is not running a loop.');
            return;
        }
        let chosen: Run | undefined = runs[0];
        if (runs.length > 1) {
            const picked = await vscode.window.showQuickPick(
                runs.map((run) => ({ label: run.title, description: run.message, run })),
                { title: 'specloop: Cancel which run?' },
            );
            chosen = picked?.run;
        }
        if (chosen && this.runs.has(chosen.token)) {
            await this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: chosen.token });
            chosen.message = 'Cancelling…';
            this.render();
        }
    }

    private render(): void {
        const runs = [...this.runs.values()];
        if (runs.length === 0) {
            this.item.hide();
            return;
        }
        const newest = runs[runs.length - 1];
        const more = runs.length > 1 ? ` (+${runs.length - 1})` : '';
        // "clarify", or "clarify (waiting for your answer)" when the message is not a stage's.
        const aside = newest.message && !newest.message.startsWith('[') ? newest.message : '';
        const where = newest.stage ? (aside ? `${newest.stage} (${aside.toLowerCase()})` : newest.stage) : aside;
        this.item.text = `$(sync~spin) ${newest.title}${more}${where ? ` — ${where}` : ''}`;
        this.item.tooltip = `${newest.title}\n${newest.message}\n\nClick to cancel.`;
        this.item.show();
    }

    dispose(): void {
        this.item.dispose();
    }
}
