import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";

// Options are built per request so that nothing reads configuration at build time.
type Ctx = { params: Promise<{ nextauth: string[] }> };
const handler = (req: Request, ctx: Ctx) => NextAuth(req as never, ctx as never, authOptions());

export { handler as GET, handler as POST };
