// One pending review of a specloop change (see review.ts): the server's edit, its hunks
// and what the user decided about each, and the proposal document's text; plus the pure
// functions that pick a reviewable edit out of a `workspace/applyEdit` and shape the
// edits that are applied. No UI here.
import * as vscode from 'vscode';
import {
    AnnotatedTextEdit,
    ApplyWorkspaceEditParams,
    ApplyWorkspaceEditResult,
    ChangeAnnotation,
    TextDocumentEdit,
    TextEdit,
    WorkspaceEdit,
} from 'vscode-languageclient/node';

export const PROPOSAL_SCHEME = 'specloop-proposal';

export type HunkState = 'open' | 'kept' | 'rejected';

export interface Hunk {
    edit: TextEdit;
    state: HunkState;
}

// What the user decided: the answer to the server's request, and an edit to apply after
// answering (the unvalidated part the user asked for).
export interface Decision {
    result: ApplyWorkspaceEditResult;
    afterwards?: WorkspaceEdit;
}

// One pending review: one document's change, waiting for the user's decision.
export class Review {
    readonly hunks: Hunk[];
    readonly proposalUri: vscode.Uri;
    threads: vscode.CommentThread[] = [];
    // The hunk each Accept hunk / Reject hunk thread is about.
    readonly hunkOf = new Map<vscode.CommentThread, Hunk>();

    constructor(
        readonly id: number,
        readonly documentUri: vscode.Uri,
        readonly baseText: string,
        readonly params: ApplyWorkspaceEditParams,
        readonly change: TextDocumentEdit,
        readonly annotation: ChangeAnnotation,
        readonly decide: (decision: Decision) => void,
    ) {
        this.hunks = change.edits.map((edit) => ({ edit, state: 'open' as HunkState }));
        const name = documentUri.path.split('/').pop() ?? 'proposal';
        this.proposalUri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${id}/${name}` });
    }

    // The buffer as it was offered with every hunk not rejected applied.
    proposalText(): string {
        return applyEdits(this.baseText, this.kept().map((hunk) => hunk.edit));
    }

    kept(): Hunk[] {
        return this.hunks.filter((hunk) => hunk.state !== 'rejected');
    }

    // The server's edit with only the hunks not rejected, confirmed (see `confirmed`).
    keptEdit(): WorkspaceEdit {
        return {
            documentChanges: [{ ...this.change, edits: this.kept().map((hunk) => hunk.edit) }],
            changeAnnotations: confirmed(this.params.edit).changeAnnotations,
        };
    }

    // The lines each hunk not rejected has in the proposal document (0-based, first and
    // last; a hunk that only removes lines: the line after them). The server's edits
    // replace whole lines.
    proposalLines(): Map<Hunk, [number, number]> {
        const lines = new Map<Hunk, [number, number]>();
        let shift = 0;
        for (const hunk of this.kept()) {
            const first = hunk.edit.range.start.line + shift;
            const added = hunk.edit.newText.split('\n').length - 1;
            lines.set(hunk, [first, first + Math.max(added, 1) - 1]);
            shift += added - (hunk.edit.range.end.line - hunk.edit.range.start.line);
        }
        return lines;
    }
}

// The edits (ranges on `text`, UTF-16 columns as JavaScript counts them) applied to `text`.
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
    const starts = [0];
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
        starts.push(index + 1);
    }
    const offset = (line: number, character: number) =>
        line >= starts.length ? text.length : Math.min(starts[line] + character, text.length);
    const sorted = [...edits].sort(
        (a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character),
    );
    let result = text;
    for (const edit of sorted) {
        const start = offset(edit.range.start.line, edit.range.start.character);
        const end = offset(edit.range.end.line, edit.range.end.character);
        result = result.slice(0, start) + edit.newText + result.slice(end);
    }
    return result;
}

// The one document edit of a specloop change that asks to be confirmed, and its
// annotation; undefined for any other edit.
export function reviewable(edit: WorkspaceEdit): { change: TextDocumentEdit; annotation: ChangeAnnotation } | undefined {
    const changes = edit.documentChanges ?? [];
    if (changes.length !== 1 || !TextDocumentEdit.is(changes[0]) || changes[0].edits.length === 0) {
        return undefined;
    }
    const change = changes[0];
    const ids = new Set(change.edits.map((item) => (AnnotatedTextEdit.is(item) ? item.annotationId : undefined)));
    const [id] = [...ids];
    const annotation = ids.size === 1 && id !== undefined ? edit.changeAnnotations?.[id] : undefined;
    return annotation?.needsConfirmation ? { change, annotation } : undefined;
}

// `edit` with no change asking for confirmation: the user confirmed it in the review, so
// VS Code must not ask again in its Refactor Preview.
export function confirmed(edit: WorkspaceEdit): WorkspaceEdit {
    const annotations = Object.fromEntries(
        Object.entries(edit.changeAnnotations ?? {}).map(([id, note]) => [id, { ...note, needsConfirmation: false }]),
    );
    return { ...edit, changeAnnotations: annotations };
}
