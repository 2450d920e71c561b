// SPDX-License-Identifier: MIT
package org.acore;

import java.io.File;

/** Loads the JNI library once: the file named by the system property
 *  {@code org.acore.library}, else libacore_java.so beside the jar or in
 *  lib/jni of its prefix (an installed acore), else from java.library.path. */
final class Lib {
  private static boolean loaded;

  static synchronized void load() {
    if (loaded)
      return;
    loaded = true;
    String path = System.getProperty("org.acore.library");
    if (path == null)
      path = besideJar();
    if (path != null)
      System.load(path);
    else
      System.loadLibrary("acore_java");
    if (NativeJNI.jk_init() != 0)
      throw new UnsatisfiedLinkError("acore: the JNI library does not match acore.jar");
  }

  private static String besideJar() {
    try {
      File jar = new File(Lib.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      File dir = jar.getParentFile();
      for (String rel : new String[] {"libacore_java.so", "../../lib/jni/libacore_java.so"}) {
        File f = new File(dir, rel);
        if (f.isFile())
          return f.getCanonicalPath();
      }
    } catch (Exception e) {
      // no code source (a test class path): java.library.path then
    }
    return null;
  }

  private Lib() {}
}
