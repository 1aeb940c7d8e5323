/** The tRPC endpoint: queries over GET/POST, `runs.events` as Server-Sent Events. */
import { handleTrpc } from "../../../../server/http";

export const dynamic = "force-dynamic";

export { handleTrpc as GET, handleTrpc as POST };
