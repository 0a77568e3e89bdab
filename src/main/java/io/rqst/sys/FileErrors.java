package io.rqst.sys;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The one-line reason of a failed file operation, in the system's words and without Java's class names. */
public final class FileErrors {
    private FileErrors() {}

    /** {@return why {@code e} failed: "no such file or directory", "permission denied", ... or its message} */
    public static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "file exists";
            case NotDirectoryException x -> "not a directory";
            case DirectoryNotEmptyException x -> "directory not empty";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    /** {@return "FILE: reason" for the file {@code e} names, or the reason alone} */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + reason(e);
        }
        return reason(e);
    }
}
