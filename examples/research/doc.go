// Package research is a durable research-report flow: a topic goes to an
// LLM, the Markdown answer becomes a PDF report, and a notification says the
// report is ready. It follows the first part of Temporal's "durable AI"
// tutorial (seed 02), in Go.
//
// # The flow
//
// [ReportWorkflow] runs three activities:
//
//  1. the research call, llm's completion activity (llm.Complete, registered
//     by llm's Activities.Register under llm.ActivityComplete);
//  2. [Activities.RenderReport], which draws the answer with [RenderPDF] and
//     writes the PDF to the worker's output directory, named after the
//     workflow ID ([ReportPath]), through a temporary file and a rename, and
//     returns the path rather than the bytes so the history stays small;
//  3. [Activities.Notify], which appends a JSON line to a notification log
//     or POSTs to a webhook, with an idempotency key.
//
// Each result is recorded in the workflow history. When Notify fails
// (a notification service that is down, or a worker started with
// -fail-notify, [Activities.FailNotify]) the workflow stays running and
// retries Notify; a worker without the fault picks it up and the workflow
// completes, and the LLM is not called again: its answer is in the history.
//
// # Following the report as it is written
//
// The workflow hosts a stream (package stream). The research call asks llm
// for a streamed answer published to [ReportTopic], so its deltas reach the
// stream in batches while the model writes (on every API llm speaks, and
// from the offline model too, word by word); before each step the workflow
// publishes a [KindStatus] event to [StatusTopic]. [Follow] reads the
// stream until the workflow closes and rebuilds the report with
// stream.Transcript: when an attempt of the research call fails and is
// retried, the partial text of the failed attempt is discarded, so the
// text it ends with is the call's result, the text of the PDF. A
// [Printer] shows it on a terminal (the starter's -follow); [RunDemo]
// returns what the stream showed ([Progress]). The stream only shows
// progress: the PDF is made from the activity's recorded result.
//
// [RenderPDF] is a pure function of its arguments: a title page, then
// headings, paragraphs, emphasis, lists, block quotes, code and links, with
// the Go fonts embedded as UTF-8 TrueType subsets, so Latin, Greek and
// Cyrillic text ("Zürich, Łódź, Ελληνικά, Русский") is drawn and extracts
// correctly.
//
// # Determinism
//
// [ReportWorkflow] only validates its input, schedules activities, reads
// the workflow clock (workflow.Now, for the report date) and serves its
// stream (whose log is rebuilt from the history's signals on replay). Rendering, file
// writes, HTTP and the LLM call run in activities on the worker.
// [RenderPDF] gives the same bytes for the same arguments; [Meta.Date] comes
// from the workflow, so a retried render writes an identical file.
//
// # Retries and errors
//
// A topic that is empty or longer than [MaxTopicRunes] fails the workflow at
// once with a non-retryable [ErrTypeInvalidTopic] error, before any activity
// ([ValidateTopic] gives the same error to a starter). The research call
// uses llm's bounded, classified retries. RenderReport retries short write
// failures ([ErrTypeWriteFailed]) and never a report that cannot be drawn
// ([ErrTypeRenderFailed]). Notify retries without an attempt limit for up
// to a day, 1 s to 30 s apart ([ErrTypeNotifyUnavailable]), except a
// webhook's refusal ([ErrTypeWebhookRejected]). Test errors with the IsX
// helpers; they work on the error a client gets from the workflow too.
//
// # Running it
//
// Register the workflow and activities with [Register] and llm's activities
// on a worker polling [TaskQueue]; start it with [RunDemo] or the starter
// command. See README.md for the commands.
//
// # Testing
//
// The tests read the text back out of the PDFs (github.com/ledongthuc/pdf
// parses them) and check the title page, the order and fonts of headings,
// list items, emphasis and non-ASCII text; FuzzRenderPDF feeds arbitrary
// Markdown to [RenderPDF]. Workflow tests use the SDK's test environment
// with mocked and real activities; integration tests run on a real dev
// server with llm pointed at llmtest's fake OpenAI server, including the
// failing-Notify-then-fixed-worker story and the report followed while the
// model writes it (a retried attempt's text discarded, the final text
// equal to the call's result, on chat completions and background
// Responses); a replay test checks the recorded histories in testdata.
package research
