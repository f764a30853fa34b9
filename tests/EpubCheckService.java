import com.adobe.epubcheck.tool.EpubChecker;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * EPUBCheck for a whole test run in one JVM; tests/helpers.py starts it with
 * {@code java -cp epubcheck.jar tests/EpubCheckService.java} (Java's source
 * launcher: a Java runtime is enough, no build step).
 *
 * <p>EPUBCheck's command line takes one EPUB per run, and each run spends
 * seconds loading and compiling its schemas; here they are loaded once. Each
 * line on standard input is {@code EPUB<TAB>REPORT}: the EPUB is checked as
 * {@code java -jar epubcheck.jar EPUB --json REPORT --quiet} checks it, by the
 * same class, and one line on standard output answers: {@code done STATUS}
 * (EPUBCheck's exit status; the messages are in REPORT) or
 * {@code failed WHAT}. EPUBCheck's own console output goes to standard error.
 */
public final class EpubCheckService {
    public static void main(String[] args) throws Exception {
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        answers.println("ready");
        for (String line; (line = requests.readLine()) != null; ) {
            String[] paths = line.split("\t", -1);
            if (paths.length != 2) {
                answers.println("failed expected EPUB<TAB>REPORT, got: " + line);
                continue;
            }
            try {
                int status = new EpubChecker().run(new String[] {paths[0], "--json", paths[1], "--quiet"});
                answers.println("done " + status);
            } catch (Throwable error) {
                answers.println("failed " + String.valueOf(error).replace('\n', ' '));
            }
        }
    }
}
