// The review of a validated change before it is applied (`specloop.review`: "diff").
//
// The server offers a validated change as a `workspace/applyEdit` whose change annotation
// needs confirmation and carries the evidence. Instead of VS Code's Refactor Preview, the
// change opens in a diff editor: the user's buffer on the left, a read-only proposal
// document (scheme `specloop-proposal`) on the right, the evidence in a comment at its
// top, and, when the change has several hunks, Accept hunk / Reject hunk on each.
// Accept / Reject in the editor title decide for the whole change. The server's request
// is answered only once the user decided:
// - the whole change accepted: the server's own versioned edit is applied (the version
//   check still refuses it if the buffer moved on, so the server re-bases or refuses);
// - rejected: `applied: false` with the reason, the file untouched;
// - some hunks rejected: the server runs the run's checks again on the rest
//   (`specloop.checkPart`); if it passes them on its own it is applied and the server
//   reports that part with its evidence; if not, it is applied only when the user
//   explicitly asks for it as an unvalidated edit, and the server is told the validated
//   change was not applied.
// Any other edit (a clarified TODO, another server's) is applied as the language client
// applies it. This module is the review's UI and protocol; its state is in proposal.ts.
import * as vscode from 'vscode';
import {
    ApplyWorkspaceEditParams,
    ApplyWorkspaceEditRequest,
    ApplyWorkspaceEditResult,
    ChangeAnnotation,
    ExecuteCommandRequest,
    LanguageClient,
    TextDocumentEdit,
    WorkspaceEdit,
} from 'vscode-languageclient/node';
import { confirmed, Decision, HunkState, PROPOSAL_SCHEME, Review, reviewable } from './proposal';
export const ACCEPT_COMMAND = 'specloop.review.accept';
export const REJECT_COMMAND = 'specloop.review.reject';
export const ACCEPT_HUNK_COMMAND = 'specloop.review.acceptHunk';
export const REJECT_HUNK_COMMAND = 'specloop.review.rejectHunk';
// The server's command that runs a run's checks on part of the change it offers.
const CHECK_PART_COMMAND = 'specloop.checkPart';
const COMMENT_CONTROLLER = 'specloop-review';
const APPLY_UNVALIDATED = 'Apply anyway (not validated)';
const BACK_TO_REVIEW = 'Back to review';
const APPLY_AFTER_ANSWER_MS = 200;

// What the server's checks said of part of a change (see loop_feature.py, check_part).
interface PartCheck {
    validated: boolean;
    evidence: string;
}

// `text` as literal Markdown, except `code` spans (the server quotes names with them).
function escapeMarkdown(text: string): string {
    return text.replace(/[\\*_[\]<>#|]/g, (char) => `\\${char}`);
}

// Reviews every specloop change in a diff editor, and applies other edits as the language
// client does. `attach` it to each new client; it answers that client's applyEdit requests.
export class ReviewBroker implements vscode.Disposable {
    private readonly reviews = new Map<string, Review>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    private readonly comments = vscode.comments.createCommentController(COMMENT_CONTROLLER, 'specloop review');
    private readonly disposables: vscode.Disposable[];
    private client: LanguageClient | undefined;
    private nextId = 1;

    constructor(private readonly output: vscode.OutputChannel) {
        this.disposables = [
            this.changed,
            this.comments,
            vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, {
                onDidChange: this.changed.event,
                provideTextDocumentContent: (uri) => this.reviews.get(uri.toString())?.proposalText() ?? '',
            }),
            vscode.commands.registerCommand(ACCEPT_COMMAND, (uri?: vscode.Uri) => this.acceptAll(this.reviewOf(uri))),
            vscode.commands.registerCommand(REJECT_COMMAND, (uri?: vscode.Uri) => this.rejectAll(this.reviewOf(uri))),
            vscode.commands.registerCommand(ACCEPT_HUNK_COMMAND, (thread: vscode.CommentThread) =>
                this.decideHunk(thread, 'kept'),
            ),
            vscode.commands.registerCommand(REJECT_HUNK_COMMAND, (thread: vscode.CommentThread) =>
                this.decideHunk(thread, 'rejected'),
            ),
            vscode.window.tabGroups.onDidChangeTabs((event) => this.closedTabs(event.closed)),
        ];
    }

    dispose(): void {
        for (const review of [...this.reviews.values()]) {
            this.finish(review, { result: { applied: false, failureReason: 'the review was closed' } });
        }
        this.disposables.forEach((item) => item.dispose());
    }

    attach(client: LanguageClient): void {
        this.client = client;
        // Replaces the language client's own handler (vscode-languageclient 9 has no
        // middleware for workspace/applyEdit); other edits go through applyAsClientDoes.
        client.onRequest(ApplyWorkspaceEditRequest.type, (params) => this.handle(client, params));
    }

    private async handle(client: LanguageClient, params: ApplyWorkspaceEditParams): Promise<ApplyWorkspaceEditResult> {
        const found = reviewable(params.edit);
        const mode = vscode.workspace.getConfiguration('specloop').get<string>('review', 'diff');
        if (!found || mode !== 'diff') {
            return this.applyAsClientDoes(client, params.edit);
        }
        const document = await this.openDocument(client, found.change);
        if (!document) {
            return this.applyAsClientDoes(client, params.edit);
        }
        if (document.version !== found.change.textDocument.version) {
            // As the language client answers: the server re-bases onto the new text.
            return { applied: false };
        }
        const decision = await this.review(document, params, found.change, found.annotation);
        if (decision.afterwards) {
            // After the answer, which the server reads before this edit's didChange: it
            // ends the offer (the document had not moved on) instead of re-basing it.
            const afterwards = decision.afterwards;
            setTimeout(() => void this.applyUnvalidated(client, afterwards), APPLY_AFTER_ANSWER_MS);
        }
        return decision.result;
    }

    private async applyUnvalidated(client: LanguageClient, edit: WorkspaceEdit): Promise<void> {
        const result = await this.applyAsClientDoes(client, edit);
        if (!result.applied) {
            void vscode.window.showWarningMessage(
                'specloop: the hunks you kept were not applied: the file changed during the review. Run Implement again.',
            );
        }
    }

    private async openDocument(client: LanguageClient, change: TextDocumentEdit): Promise<vscode.TextDocument | undefined> {
        const uri = client.protocol2CodeConverter.asUri(change.textDocument.uri).toString();
        return vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri);
    }

    // The language client's own way: refuse an edit made for another version of an open
    // document, else hand it to VS Code (which shows annotated edits in its Refactor Preview).
    private async applyAsClientDoes(client: LanguageClient, edit: WorkspaceEdit): Promise<ApplyWorkspaceEditResult> {
        for (const change of edit.documentChanges ?? []) {
            if (!TextDocumentEdit.is(change) || change.textDocument.version === null) {
                continue;
            }
            const document = await this.openDocument(client, change);
            if (document && document.version !== change.textDocument.version) {
                return { applied: false };
            }
        }
        const converted = await client.protocol2CodeConverter.asWorkspaceEdit(edit);
        return { applied: await vscode.workspace.applyEdit(converted) };
    }

    private review(
        document: vscode.TextDocument,
        params: ApplyWorkspaceEditParams,
        change: TextDocumentEdit,
        annotation: ChangeAnnotation,
    ): Promise<Decision> {
        return new Promise<Decision>((resolve) => {
            const id = this.nextId++;
            const review = new Review(id, document.uri, document.getText(), params, change, annotation, resolve);
            this.reviews.set(review.proposalUri.toString(), review);
            this.output.appendLine(`Review ${id}: ${annotation.label} (${review.hunks.length} hunk(s)).`);
            void this.show(review);
        });
    }

    private async show(review: Review): Promise<void> {
        const name = review.documentUri.path.split('/').pop();
        const title = `${name} ↔ specloop's change (review)`;
        await vscode.commands.executeCommand('vscode.diff', review.documentUri, review.proposalUri, title, {
            preview: false,
        });
        this.drawThreads(review);
    }

    // The evidence at the top of the proposal; Accept / Reject hunk on each open hunk when
    // there are several.
    private drawThreads(review: Review): void {
        review.threads.forEach((thread) => thread.dispose());
        review.hunkOf.clear();
        const evidence = new vscode.MarkdownString(`**${review.annotation.label}**\n\n`);
        // "validated: 5 checks — …; 3 samples, …; assumed, not answered: …": one item each.
        for (const part of (review.annotation.description ?? '').split('; ')) {
            evidence.appendMarkdown(`- ${escapeMarkdown(part)}\n`);
        }
        evidence.appendMarkdown('\nAccept or Reject it in the editor title');
        evidence.appendMarkdown(review.hunks.length > 1 ? ', or hunk by hunk below.' : '.');
        const threads = [this.thread(review, [0, 0], evidence, 'evidence', 'Evidence')];
        if (review.hunks.length > 1) {
            const lines = review.proposalLines();
            review.hunks.forEach((hunk, index) => {
                const range = lines.get(hunk);
                if (range === undefined || hunk.state !== 'open') {
                    return;
                }
                const name = `Hunk ${index + 1} of ${review.hunks.length}`;
                const where = range[0] === range[1] ? `line ${range[0] + 1}` : `lines ${range[0] + 1}–${range[1] + 1}`;
                const text = new vscode.MarkdownString(`${name} (${where} above): keep it ✓ or drop it ↺.`);
                const thread = this.thread(review, range, text, 'hunk', name);
                review.hunkOf.set(thread, hunk);
                threads.push(thread);
            });
        }
        review.threads = threads;
    }

    // A comment below `lines` (first and last, 0-based) of the proposal.
    private thread(
        review: Review,
        lines: [number, number],
        body: vscode.MarkdownString,
        contextValue: string,
        label: string,
    ): vscode.CommentThread {
        const comment: vscode.Comment = { body, mode: vscode.CommentMode.Preview, author: { name: 'specloop' } };
        const thread = this.comments.createCommentThread(review.proposalUri, new vscode.Range(lines[0], 0, lines[1], 0), [
            comment,
        ]);
        thread.canReply = false;
        thread.label = label;
        thread.contextValue = contextValue;
        thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
        return thread;
    }

    private reviewOf(uri: vscode.Uri | undefined): Review | undefined {
        const key = (uri ?? vscode.window.activeTextEditor?.document.uri)?.toString();
        const review = key ? this.reviews.get(key) : undefined;
        if (!review && this.reviews.size === 1) {
            return [...this.reviews.values()][0];
        }
        return review;
    }

    private async acceptAll(review: Review | undefined): Promise<void> {
        if (!review) {
            return;
        }
        if (review.hunks.some((hunk) => hunk.state === 'rejected')) {
            return this.offerPart(review);
        }
        const client = this.client;
        const result = client
            ? await this.applyAsClientDoes(client, confirmed(review.params.edit))
            : { applied: false, failureReason: 'the specloop server stopped during the review' };
        this.finish(review, { result });
    }

    private rejectAll(review: Review | undefined): void {
        if (review) {
            this.finish(review, { result: { applied: false, failureReason: 'you rejected it in the review' } });
        }
    }

    private async decideHunk(thread: vscode.CommentThread, state: HunkState): Promise<void> {
        const review = [...this.reviews.values()].find((item) => item.threads.includes(thread));
        const hunk = review?.hunkOf.get(thread);
        if (!review || !hunk) {
            return;
        }
        hunk.state = state;
        this.changed.fire(review.proposalUri);
        this.drawThreads(review);
        if (review.hunks.every((item) => item.state !== 'open')) {
            await (review.kept().length === 0 ? this.rejectAll(review) : this.acceptAll(review));
        }
    }

    // Some hunks were rejected: the rest is applied as validated only if it passes the
    // run's checks on its own (the server runs them again); otherwise only when the user
    // asks for it as an unvalidated edit, else back to the review.
    private async offerPart(review: Review): Promise<void> {
        const client = this.client;
        const edit = review.keptEdit();
        const checked = client ? await this.checkPart(client, review) : undefined;
        if (client && checked?.validated) {
            // Answered `applied`: the server reports the part and its evidence.
            this.finish(review, { result: await this.applyAsClientDoes(client, edit) });
            return;
        }
        const kept = review.kept().length;
        const all = review.hunks.length;
        const choice = await vscode.window.showWarningMessage(
            `The ${kept} of ${all} hunks you kept did not pass specloop's checks on their own: that part is not validated.`,
            {
                modal: true,
                detail:
                    `${checked?.evidence ?? 'not validated: the specloop server is not running'}.\n\n` +
                    'Apply the hunks you kept anyway, as an unvalidated edit, or go back to the review ' +
                    '(every hunk is offered again).',
            },
            APPLY_UNVALIDATED,
            BACK_TO_REVIEW,
        );
        if (choice !== APPLY_UNVALIDATED) {
            review.hunks.forEach((hunk) => (hunk.state = 'open'));
            this.changed.fire(review.proposalUri);
            this.drawThreads(review);
            return;
        }
        this.finish(review, {
            result: {
                applied: false,
                failureReason: `you applied ${kept} of its ${all} hunks instead, which did not validate on their own`,
            },
            afterwards: edit,
        });
    }

    // The server's verdict on the proposal as it stands (the kept hunks), from the run's checks.
    private async checkPart(client: LanguageClient, review: Review): Promise<PartCheck> {
        const part = {
            uri: review.change.textDocument.uri,
            version: review.change.textDocument.version,
            text: review.proposalText(),
        };
        const title = "specloop: checking the hunks you kept with the run's checks";
        try {
            return await vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title },
                () =>
                    client.sendRequest(ExecuteCommandRequest.type, {
                        command: CHECK_PART_COMMAND,
                        arguments: [part],
                    }) as Promise<PartCheck>,
            );
        } catch (error) {
            return { validated: false, evidence: `not validated: the check failed (${String(error)})` };
        }
    }

    // Closing the review's diff editor rejects the change.
    private closedTabs(tabs: readonly vscode.Tab[]): void {
        for (const tab of tabs) {
            if (tab.input instanceof vscode.TabInputTextDiff) {
                const review = this.reviews.get(tab.input.modified.toString());
                if (review) {
                    this.finish(review, { result: { applied: false, failureReason: 'you closed its review' } });
                }
            }
        }
    }

    private finish(review: Review, decision: Decision): void {
        if (!this.reviews.delete(review.proposalUri.toString())) {
            return;
        }
        review.threads.forEach((thread) => thread.dispose());
        const outcome = decision.result.applied ? 'applied' : `not applied (${decision.result.failureReason ?? 'refused'})`;
        this.output.appendLine(`Review ${review.id}: ${outcome}.`);
        review.decide(decision);
        void this.closeTabs(review);
    }

    private async closeTabs(review: Review): Promise<void> {
        const tabs = vscode.window.tabGroups.all
            .flatMap((group) => group.tabs)
            .filter(
                (tab) =>
                    tab.input instanceof vscode.TabInputTextDiff &&
                    tab.input.modified.toString() === review.proposalUri.toString(),
            );
        await vscode.window.tabGroups.close(tabs);
    }
}
