package io.rqst.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.rqst.control.ControlDecoder;
import io.rqst.control.ControlMessage;
import io.rqst.control.ControlProtocolException;

/** Reads control messages from the control stream and hands them to the connection. */
final class ControlStreamHandler extends ChannelInboundHandlerAdapter {
    private final QuicConnection connection;
    private final ControlDecoder decoder = new ControlDecoder();
    private boolean failed;

    ControlStreamHandler(QuicConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (failed) {
                return;
            }
            for (ControlMessage m : decoder.feed(buf)) {
                connection.controlMessage(m);
            }
        } catch (ControlProtocolException e) {
            failed = true;
            connection.controlError(e.getMessage());
        } finally {
            buf.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset control stream shows up here; the connection's own close tells the story
        ctx.close();
    }

    /** For peer-opened streams (server side): the first one becomes the control stream. */
    static void adopt(QuicStreamChannel stream) {
        QuicConnection c = stream.parent().attr(QuicConnection.KEY).get();
        if (c == null || !c.attachControl(stream)) {
            stream.close();
            return;
        }
        stream.pipeline().addLast(new ControlStreamHandler(c));
    }
}
